/// The kernel model's deferred work: DPCs, timers, work items, system threads — queued now, run as their own entry points later by the scenario.
enum DeferredArea {
    static let handlers: [String: KernelHandler] = [:]
}
