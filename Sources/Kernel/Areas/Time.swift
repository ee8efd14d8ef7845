/// The kernel model's time and delays (KeDelayExecutionThread, KeStallExecutionProcessor, ExSystemTimeToLocalTime, RtlTimeToTimeFields, KeQueryInterruptTime, …).
enum TimeArea {
    static let handlers: [String: KernelHandler] = [:]
}
