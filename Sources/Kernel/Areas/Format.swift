/// The kernel model's the sprintf family (sprintf, swprintf, _snprintf, _snwprintf, _vsnprintf, _vsnwprintf, vsprintf, RtlStringCb*/Cch* are inline) on GuestFormatter.
enum FormatArea {
    static let handlers: [String: KernelHandler] = [:]
}
