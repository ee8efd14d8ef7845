/// The kernel model's structured exception handling: __C_specific_handler, RtlUnwind(Ex), ExRaiseStatus, RtlRaiseException, ProbeForRead/ProbeForWrite raising, __chkstk, _purecall, RtlAssert.
enum ExceptionsArea {
    static let handlers: [String: KernelHandler] = [:]
}
