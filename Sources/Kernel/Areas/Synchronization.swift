/// The kernel model's dispatcher objects and locks on one CPU (events, mutexes, semaphores, fast mutexes, guarded mutexes, ERESOURCE, push locks, spin locks incl. in-stack queued, critical regions, KeWaitForSingleObject/MultipleObjects, ZwWaitForSingleObject, interlocked list helpers).
enum SynchronizationArea {
    static let handlers: [String: KernelHandler] = [:]
}
