/// Processor, process and thread queries, and the interlocked list helpers the
/// inline lookaside accessors call. Single CPU, PASSIVE_LEVEL, System process.
enum ExecutiveArea {
    static let handlers: [String: KernelHandler] = [
        "KeGetCurrentIrql": { _ in 0 },
        "KeRaiseIrqlToDpcLevel": { _ in 0 },
        "KfRaiseIrql": { _ in 0 },
        "KeLowerIrql": { _ in 0 },
        "KfLowerIrql": { _ in 0 },
        "KeGetCurrentThread": { call in call.kernel.processor.thread },
        "PsGetCurrentThread": { call in call.kernel.processor.thread },
        "IoGetCurrentProcess": { call in call.kernel.processor.process },
        "PsGetCurrentProcess": { call in call.kernel.processor.process },
        "PsGetCurrentProcessId": { _ in 4 },
        "PsGetCurrentThreadId": { _ in 8 },
        "ExGetPreviousMode": { _ in 0 },
        "KeGetPreviousMode": { _ in 0 },
        "InterlockedPopEntrySList": { _ in 0 },
        "ExpInterlockedPopEntrySList": { _ in 0 },
        "InterlockedPushEntrySList": { _ in 0 },
        "ExpInterlockedPushEntrySList": { _ in 0 },
        "KeQueryPerformanceCounter": { call in
            let frequency = try call.arg(0)
            if frequency != 0 { try call.kernel.writeU64(frequency, 10_000_000) }
            return UInt64(call.kernel.callCount) * 1000
        },
        "KeQuerySystemTime": { call in
            try call.kernel.writeU64(call.arg(0), call.kernel.processor.systemTime)
            return 0
        },
        "KeQuerySystemTimePrecise": { call in
            try call.kernel.writeU64(call.arg(0), call.kernel.processor.systemTime)
            return 0
        },
        "KeQueryTimeIncrement": { _ in 156_250 },
        "KeAcquireSpinLockRaiseToDpc": { _ in 0 },
        "KeReleaseSpinLock": { _ in 0 },
        "KeInitializeSpinLock": { call in
            try call.kernel.writeU64(call.arg(0), 0)
            return 0
        },
    ]
}
