/// The kernel model's notification and filter callbacks a driver registers (PsSetCreateProcessNotifyRoutine(Ex), PsSetCreateThreadNotifyRoutine, PsSetLoadImageNotifyRoutine and their removals, CmRegisterCallback(Ex), ObRegisterCallbacks, ExRegisterCallback/ExCreateCallback, IoRegisterShutdownNotification, …).
///
/// Each registration is kept in `CallbackState` and queued once as a
/// `DeferredRoutine` with the arguments Windows would pass it: the process
/// "launched" is notepad.exe (PID 0x1A2C, thread 0x1A30) started by
/// explorer.exe (PID 0x1130). A removal stops later notifications (e.g. on
/// ZwTerminateProcess) but cannot withdraw a routine already queued.
enum CallbacksArea {
    static let handlers: [KernelExport] = notifyHandlers + registrationHandlers

    static let notifyHandlers: [KernelExport] = [
        .ntoskrnl("PsSetCreateProcessNotifyRoutine") { try setProcessNotify($0, routine: $0.arg(0), remove: $0.arg32(1) & 0xFF != 0, ex: false) },
        .ntoskrnl("PsSetCreateProcessNotifyRoutineEx") { try setProcessNotify($0, routine: $0.arg(0), remove: $0.arg32(1) & 0xFF != 0, ex: true) },
        .ntoskrnl("PsSetCreateProcessNotifyRoutineEx2") { call in
            guard try call.arg32(0) == 0 else { return UInt64(NTStatus.invalidParameter) } // PsCreateProcessNotifySubsystems
            return try setProcessNotify(call, routine: call.arg(1), remove: call.arg32(2) & 0xFF != 0, ex: true)
        },
        .ntoskrnl("PsSetCreateThreadNotifyRoutine") { try setThreadNotify($0, routine: $0.arg(0)) },
        .ntoskrnl("PsSetCreateThreadNotifyRoutineEx") { call in
            // PsCreateThreadNotifyNonSystem 0, PsCreateThreadNotifySubsystems 1.
            guard try call.arg32(0) <= 1 else { return UInt64(NTStatus.invalidParameter) }
            return try setThreadNotify(call, routine: call.arg(1))
        },
        .ntoskrnl("PsRemoveCreateThreadNotifyRoutine") { try remove($0, \.threadRoutines) },
        .ntoskrnl("PsSetLoadImageNotifyRoutine") { try setImageNotify($0, routine: $0.arg(0)) },
        .ntoskrnl("PsSetLoadImageNotifyRoutineEx") { call in
            // PS_IMAGE_NOTIFY_CONFLICTING_ARCHITECTURE is the only flag.
            guard try call.arg(1) & ~1 == 0 else { return UInt64(NTStatus.invalidParameter) }
            return try setImageNotify(call, routine: call.arg(0))
        },
        .ntoskrnl("PsRemoveLoadImageNotifyRoutine") { try remove($0, \.imageRoutines) },
    ]

    /// Windows' limit per list (PSP_MAX_CREATE_PROCESS_NOTIFY and friends).
    static let maxRoutines = 64

    /// PsSetCreateProcessNotifyRoutine(Ex/Ex2)(NotifyRoutine, Remove).
    static func setProcessNotify(_ call: KernelCall, routine: UInt64, remove: Bool, ex: Bool) throws -> UInt64 {
        let kernel = call.kernel, state = kernel.callbackState
        if remove {
            guard let index = state.processRoutines.firstIndex(where: { $0.routine == routine && $0.ex == ex }) else {
                return UInt64(NTStatus.procedureNotFound)
            }
            state.processRoutines.remove(at: index)
            return UInt64(NTStatus.success)
        }
        // The Ex routines must live in an image linked with /INTEGRITYCHECK (Callbacks+Integrity.swift).
        if ex, !(try kernel.verifyCallbackFunction(call, routine)) { return UInt64(NTStatus.accessDenied) }
        guard routine != 0, !state.processRoutines.contains(where: { $0.routine == routine }),
              state.processRoutines.count < maxRoutines else { return UInt64(NTStatus.invalidParameter) }
        state.processRoutines.append((routine, ex))
        let model = try kernel.obModel()
        guard let child = model.process(pid: ObjectModel.launchedPid) else { return UInt64(NTStatus.success) }
        if ex {
            kernel.queue(DeferredRoutine(kind: "ProcessNotify", routine: routine,
                                         arguments: [child.eprocess, child.pid, try kernel.cbCreateNotifyInfo()]))
        } else {
            kernel.queue(DeferredRoutine(kind: "ProcessNotify", routine: routine, arguments: [child.parent, child.pid, 1]))
        }
        call.note("routine 0x\(String(routine, radix: 16))\(ex ? " (Ex)" : "")")
        return UInt64(NTStatus.success)
    }

    /// PsSetCreateThreadNotifyRoutine(NotifyRoutine): called with (ProcessId, ThreadId, Create).
    static func setThreadNotify(_ call: KernelCall, routine: UInt64) throws -> UInt64 {
        let kernel = call.kernel, state = kernel.callbackState
        guard routine != 0 else { return UInt64(NTStatus.invalidParameter) }
        guard state.threadRoutines.count < maxRoutines else { return UInt64(NTStatus.insufficientResources) }
        state.threadRoutines.append(routine)
        if let child = try kernel.obModel().process(pid: ObjectModel.launchedPid) {
            kernel.queue(DeferredRoutine(kind: "ThreadNotify", routine: routine, arguments: [child.pid, child.tid, 1]))
        }
        return UInt64(NTStatus.success)
    }

    /// PsSetLoadImageNotifyRoutine(NotifyRoutine): called with (FullImageName, ProcessId, ImageInfo).
    static func setImageNotify(_ call: KernelCall, routine: UInt64) throws -> UInt64 {
        let kernel = call.kernel, state = kernel.callbackState
        guard routine != 0 else { return UInt64(NTStatus.invalidParameter) }
        guard state.imageRoutines.count < maxRoutines else { return UInt64(NTStatus.insufficientResources) }
        state.imageRoutines.append(routine)
        let (name, info) = try kernel.cbImageInfo()
        kernel.queue(DeferredRoutine(kind: "ImageNotify", routine: routine,
                                     arguments: [name, ObjectModel.launchedPid, info]))
        return UInt64(NTStatus.success)
    }

    static func remove(_ call: KernelCall, _ list: ReferenceWritableKeyPath<CallbackState, [UInt64]>) throws -> UInt64 {
        let state = call.kernel.callbackState, routine = try call.arg(0)
        guard let index = state[keyPath: list].firstIndex(of: routine) else { return UInt64(NTStatus.procedureNotFound) }
        state[keyPath: list].remove(at: index)
        return UInt64(NTStatus.success)
    }
}

/// Registrations of the Callbacks area.
final class CallbackState {
    var processRoutines: [(routine: UInt64, ex: Bool)] = []
    var threadRoutines: [UInt64] = []
    var imageRoutines: [UInt64] = []
    /// Cookie → (function, context, altitude).
    var registryCallbacks: [UInt64: (function: UInt64, context: UInt64, altitude: String?)] = [:]
    var nextCookie: UInt64 = 0x0000_0001_0000_0001
    /// Registration handle → altitude.
    var objectCallbacks: [UInt64: String] = [:]
    /// Callback object → (name, allows multiple registrations); registration → (object, function, context).
    var callbackObjects: [UInt64: (name: String, multiple: Bool)] = [:]
    var exRegistrations: [UInt64: (object: UInt64, function: UInt64, context: UInt64)] = [:]
    var shutdownDevices: [UInt64: Bool] = [:]
    var bugCheckRecords: Set<UInt64> = []
    var nmiCallbacks: [UInt64: (routine: UInt64, context: UInt64)] = [:]
    var logonSessionRoutines: [UInt64] = []
    var createNotifyInfo: UInt64 = 0
    var imageInfo: (name: UInt64, info: UInt64) = (0, 0)
    var registryInfo: UInt64 = 0
}

extension Kernel {
    var callbackState: CallbackState { state(CallbackState.self) { CallbackState() } }

    /// A FILE_OBJECT whose FileName is `name` (what notify routines find in CreateInfo/ImageInfoEx).
    func cbFileObject(_ name: String) throws -> UInt64 {
        typealias F = Layout.FileObject
        let file = try obAllocate(kind: "File", bodySize: F.totalSize)
        try writeU16(file &+ UInt64(F.type), F.typeValue)
        try writeU16(file &+ UInt64(F.size), UInt16(F.totalSize))
        let string = try makeUnicodeString(name, name: "FILE_OBJECT name")
        try writeBytes(file &+ UInt64(F.fileName), try readBytes(string, count: Layout.UnicodeString.size))
        return file
    }

    /// PS_CREATE_NOTIFY_INFO for notepad.exe started by explorer.exe (built once).
    func cbCreateNotifyInfo() throws -> UInt64 {
        let state = callbackState
        if state.createNotifyInfo != 0 { return state.createNotifyInfo }
        typealias N = Layout.PsCreateNotifyInfo
        let model = try obModel()
        guard let child = model.process(pid: ObjectModel.launchedPid), let parent = model.process(pid: child.parent) else {
            return 0
        }
        let info = try heap.allocate(N.totalSize, name: "PS_CREATE_NOTIFY_INFO")
        try writeU64(info &+ UInt64(N.size), UInt64(N.totalSize))
        try writeU32(info &+ UInt64(N.flags), 1) // FileOpenNameAvailable
        try writeU64(info &+ UInt64(N.parentProcessId), parent.pid)
        try writeU64(info &+ UInt64(N.creatingThreadId), parent.pid)
        try writeU64(info &+ UInt64(N.creatingThreadId) &+ 8, parent.tid)
        try writeU64(info &+ UInt64(N.fileObject), try cbFileObject("\\Windows\\System32\\notepad.exe"))
        try writeU64(info &+ UInt64(N.imageFileName), try makeUnicodeString("\\??\\" + "C:\\Windows\\System32\\notepad.exe",
                                                                           name: "ImageFileName"))
        try writeU64(info &+ UInt64(N.commandLine), try makeUnicodeString("\"C:\\Windows\\System32\\notepad.exe\"",
                                                                         name: "CommandLine"))
        try writeU32(info &+ UInt64(N.creationStatus), NTStatus.success)
        state.createNotifyInfo = info
        return info
    }

    /// The FullImageName UNICODE_STRING and IMAGE_INFO (inside an IMAGE_INFO_EX) of notepad.exe's image.
    func cbImageInfo() throws -> (UInt64, UInt64) {
        let state = callbackState
        if state.imageInfo.name != 0 { return state.imageInfo }
        typealias I = Layout.ImageInfo
        let name = try makeUnicodeString("\\Device\\HarddiskVolume3\\Windows\\System32\\notepad.exe", name: "FullImageName")
        let ex = try heap.allocate(I.exTotalSize, name: "IMAGE_INFO_EX")
        let info = ex &+ UInt64(I.exImageInfo)
        try writeU64(ex &+ UInt64(I.exSize), UInt64(I.exTotalSize))
        // ImageAddressingMode IMAGE_ADDRESSING_MODE_32BIT (3) | ExtendedInfoPresent; user-mode image.
        try writeU32(info &+ UInt64(I.properties), 3 | I.extendedInfoPresent)
        try writeU64(info &+ UInt64(I.imageBase), 0x7FF6_1234_0000)
        try writeU64(info &+ UInt64(I.imageSize), 0x38000)
        try writeU64(ex &+ UInt64(I.exFileObject), try cbFileObject("\\Windows\\System32\\notepad.exe"))
        state.imageInfo = (name, info)
        return state.imageInfo
    }

    /// Process-exit notifications after ZwTerminateProcess: Create = FALSE, CreateInfo = NULL.
    func cbProcessExited(pid: UInt64) throws {
        let state = callbackState
        guard let process = try obModel().process(pid: pid) else { return }
        for (routine, ex) in state.processRoutines {
            queue(DeferredRoutine(kind: "ProcessNotify", routine: routine,
                                  arguments: ex ? [process.eprocess, pid, 0] : [process.parent, pid, 0]))
        }
        for routine in state.threadRoutines {
            queue(DeferredRoutine(kind: "ThreadNotify", routine: routine, arguments: [pid, process.tid, 0]))
        }
    }
}
