/// The kernel model's notification and filter callbacks a driver registers (PsSetCreateProcessNotifyRoutine(Ex), PsSetCreateThreadNotifyRoutine, PsSetLoadImageNotifyRoutine and their removals, CmRegisterCallback(Ex), ObRegisterCallbacks, ExRegisterCallback/ExCreateCallback, IoRegisterShutdownNotification, …).
enum CallbacksArea {
    static let handlers: [String: KernelHandler] = [:]
}
