/// The kernel model's processes and threads (PsLookupProcessByProcessId, PsGetProcessId, PsGetProcessImageFileName, PsGetVersion, ZwOpenProcess, ZwTerminateProcess, ZwQueryInformationProcess, KeStackAttachProcess, PsCreateSystemThread, PsTerminateSystemThread, PsLookupThreadByThreadId, IoThreadToProcess, …).
enum ProcessArea {
    static let handlers: [String: KernelHandler] = [:]
}
