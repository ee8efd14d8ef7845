/// Process and thread handles: ZwOpenProcess/ZwOpenThread, ZwTerminateProcess,
/// ZwQuery/SetInformationProcess and ZwQuery/SetInformationThread.
extension ProcessArea {
    static let informationHandlers: [KernelExport] = [
        .ntoskrnl("ZwQueryInformationProcess") { try queryProcess($0) },
        .ntoskrnl("NtQueryInformationProcess") { try queryProcess($0) },
        .ntoskrnl("ZwSetInformationProcess") { try setProcess($0) },
        .ntoskrnl("NtSetInformationProcess") { try setProcess($0) },
        .ntoskrnl("ZwQueryInformationThread") { try queryThread($0) },
        .ntoskrnl("NtQueryInformationThread") { try queryThread($0) },
        .ntoskrnl("ZwSetInformationThread") { try setThread($0) },
        .ntoskrnl("NtSetInformationThread") { try setThread($0) },
    ]

    static let portNotSet: UInt32 = 0xC000_0353
    /// Processes whose termination is bug check 0xEF CRITICAL_PROCESS_DIED.
    static let criticalProcesses: Set<String> = ["smss.exe", "csrss.exe", "wininit.exe", "winlogon.exe", "services.exe",
                                                 "lsass.exe"]

    /// ZwOpenProcess(*ProcessHandle, DesiredAccess, ObjectAttributes, ClientId).
    static func openProcess(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        let out = try call.arg(0), access = try call.arg32(1), attributes = try call.arg(2), cid = try call.arg(3)
        let named = try kernel.obAttributesName(attributes) != nil
        guard (cid != 0) != named else { return UInt64(NTStatus.invalidParameterMix) }
        guard cid != 0 else { return UInt64(NTStatus.objectNameNotFound) }
        let pid = try kernel.readU64(cid &+ UInt64(Layout.ClientId.uniqueProcess))
        let tid = try kernel.readU64(cid &+ UInt64(Layout.ClientId.uniqueThread))
        guard let process = model.process(pid: pid), tid == 0 || tid == process.tid else {
            call.note("PID \(pid): no such process")
            return UInt64(NTStatus.invalidCid)
        }
        guard let handle = try kernel.obInsertHandle(kind: "Process", object: process.eprocess, access: access) else {
            return UInt64(NTStatus.insufficientResources)
        }
        try kernel.writeU64(out, handle)
        call.note("\(process.name) (PID \(pid)) access 0x\(String(access, radix: 16)) -> 0x\(String(handle, radix: 16))")
        return UInt64(NTStatus.success)
    }

    /// ZwOpenThread(*ThreadHandle, DesiredAccess, ObjectAttributes, ClientId).
    static func openThread(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        let out = try call.arg(0), access = try call.arg32(1), cid = try call.arg(3)
        guard cid != 0 else { return UInt64(NTStatus.invalidParameterMix) }
        let pid = try kernel.readU64(cid &+ UInt64(Layout.ClientId.uniqueProcess))
        let tid = try kernel.readU64(cid &+ UInt64(Layout.ClientId.uniqueThread))
        guard let process = model.processes.first(where: { $0.tid == tid && (pid == 0 || pid == $0.pid) }) else {
            return UInt64(NTStatus.invalidCid)
        }
        guard let handle = try kernel.obInsertHandle(kind: "Thread", object: process.thread, access: access) else {
            return UInt64(NTStatus.insufficientResources)
        }
        try kernel.writeU64(out, handle)
        return UInt64(NTStatus.success)
    }

    /// The process a process handle names (NULL = current), or the failing status.
    static func processHandle(_ call: KernelCall, _ handle: UInt64) throws -> (UInt64?, UInt32) {
        guard let resolved = try call.kernel.obResolve(handle == 0 ? Kernel.currentProcessHandle : handle) else {
            return (nil, NTStatus.invalidHandle)
        }
        guard resolved.kind == "Process" else { return (nil, NTStatus.objectTypeMismatch) }
        return (resolved.object, NTStatus.success)
    }

    /// ZwTerminateProcess(ProcessHandle, ExitStatus).
    static func terminate(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel(), exitStatus = try call.arg32(1)
        let (found, status) = try processHandle(call, try call.arg(0))
        guard let eprocess = found, let index = model.processIndex(at: eprocess) else { return UInt64(status) }
        let process = model.processes[index]
        call.note("\(process.name) (PID \(process.pid)) exit status 0x\(String(exitStatus, radix: 16))")
        guard process.pid != 4 else { return UInt64(NTStatus.accessDenied) }
        guard !process.terminated else { return UInt64(NTStatus.processIsTerminating) }
        model.processes[index].terminated = true
        typealias P = Layout.EProcess
        try kernel.writeU32(eprocess &+ UInt64(P.exitStatus), exitStatus)
        try kernel.writeU64(eprocess &+ UInt64(P.exitTime), kernel.processor.systemTime)
        let flags = try kernel.readU32(eprocess &+ UInt64(P.flags))
        try kernel.writeU32(eprocess &+ UInt64(P.flags), flags | P.processExiting)
        try kernel.writeU32(eprocess &+ UInt64(P.activeThreads), 0)
        if criticalProcesses.contains(process.name) || process.breakOnTermination {
            throw KernelStop.bugCheck(code: 0xEF, parameters: [eprocess, 0, 0, 0], site: call.returnAddress)
        }
        try kernel.cbProcessExited(pid: process.pid)
        return UInt64(NTStatus.success)
    }

    /// Writes `bytes` as the whole answer of a fixed-size information class.
    static func answer(_ call: KernelCall, _ bytes: [UInt8], info: UInt64, length: Int, returnLength: UInt64,
                       exact: Bool = true) throws -> UInt64 {
        if returnLength != 0 { try call.kernel.writeU32(returnLength, UInt32(bytes.count)) }
        guard exact ? length == bytes.count : length >= bytes.count else { return UInt64(NTStatus.infoLengthMismatch) }
        try call.kernel.writeBytes(info, bytes)
        return UInt64(NTStatus.success)
    }

    static func le(_ value: UInt64, _ size: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    /// ZwQueryInformationProcess(ProcessHandle, ProcessInformationClass, ProcessInformation, Length, *ReturnLength).
    static func queryProcess(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        let infoClass = try call.arg32(1), info = try call.arg(2), length = Int(try call.arg32(3))
        let returnLength = try call.arg(4)
        let (found, status) = try processHandle(call, try call.arg(0))
        guard let e = found, let process = model.process(at: e) else { return UInt64(status) }
        typealias P = Layout.EProcess
        let read64 = { (offset: Int) in try kernel.readU64(e &+ UInt64(offset)) }
        call.note("class \(infoClass), \(process.name)")
        switch infoClass {
        case 0: // ProcessBasicInformation
            let basic = le(UInt64(try kernel.readU32(e &+ UInt64(P.exitStatus))), 8) + le(try read64(P.peb), 8)
                + le(1, 8) + le(8, 8) + le(try read64(P.uniqueProcessId), 8)
                + le(try read64(P.inheritedFromUniqueProcessId), 8)
            if length == 0x40 { return try answer(call, le(0x40, 8) + basic + le(0, 8), info: info, length: length, returnLength: returnLength) }
            return try answer(call, basic, info: info, length: length, returnLength: returnLength)
        case 4: // ProcessTimes: KERNEL_USER_TIMES
            let times = le(try read64(P.createTime), 8) + le(try read64(P.exitTime), 8) + le(1_250_000, 8) + le(0, 8)
            return try answer(call, times, info: info, length: length, returnLength: returnLength)
        case 7, 26: // ProcessDebugPort, ProcessWow64Information
            return try answer(call, le(0, 8), info: info, length: length, returnLength: returnLength)
        case 18: // ProcessPriorityClass: Foreground, PROCESS_PRIORITY_CLASS_NORMAL
            return try answer(call, [0, 2], info: info, length: length, returnLength: returnLength)
        case 20: // ProcessHandleCount
            let count = process.pid == 4 ? kernel.handles.openCount : 64
            return try answer(call, le(UInt64(count), 4), info: info, length: length, returnLength: returnLength)
        case 24: // ProcessSessionInformation
            return try answer(call, le(UInt64(process.sessionId), 4), info: info, length: length, returnLength: returnLength)
        case 29: // ProcessBreakOnTermination
            let critical = criticalProcesses.contains(process.name) || process.breakOnTermination
            return try answer(call, le(critical ? 1 : 0, 4), info: info, length: length, returnLength: returnLength)
        case 30: // ProcessDebugObjectHandle: not being debugged
            if returnLength != 0 { try kernel.writeU32(returnLength, 8) }
            guard length == 8 else { return UInt64(NTStatus.infoLengthMismatch) }
            try kernel.writeU64(info, 0)
            return UInt64(portNotSet)
        case 31: // ProcessDebugFlags: NoDebugInherit set = not debugged
            return try answer(call, le(1, 4), info: info, length: length, returnLength: returnLength)
        case 61: // ProcessProtectionInformation: PS_PROTECTION
            return try answer(call, [try kernel.readU8(e &+ UInt64(P.protection))], info: info, length: length,
                              returnLength: returnLength)
        case 27, 43: // ProcessImageFileName (NT path), ProcessImageFileNameWin32
            let volume = "\\Device\\HarddiskVolume3"
            let path = infoClass == 43 && process.imagePath.hasPrefix(volume)
                ? "C:" + process.imagePath.dropFirst(volume.count) : process.imagePath
            return UInt64(try ObjectsArea.writeNameInformation(kernel, name: path, info: info, length: length,
                                                               returnLength: returnLength, tooSmall: NTStatus.infoLengthMismatch))
        default:
            return UInt64(NTStatus.invalidInfoClass)
        }
    }

    /// ZwSetInformationProcess(ProcessHandle, ProcessInformationClass, ProcessInformation, Length).
    static func setProcess(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        let infoClass = try call.arg32(1), info = try call.arg(2), length = Int(try call.arg32(3))
        let (found, status) = try processHandle(call, try call.arg(0))
        guard let e = found, let index = model.processIndex(at: e) else { return UInt64(status) }
        call.note("class \(infoClass), \(model.processes[index].name)")
        let sizes: [UInt32: Int] = [5: 4, 9: 16, 12: 4, 18: 2, 21: 8, 29: 4, 33: 4, 40: 8]
        guard let size = sizes[infoClass] else { return UInt64(NTStatus.invalidInfoClass) }
        guard length == size || (infoClass == 40 && length == 16) else { return UInt64(NTStatus.infoLengthMismatch) }
        let value = try kernel.readBytes(info, count: size)
        if infoClass == 29 { model.processes[index].breakOnTermination = value.contains { $0 != 0 } }
        return UInt64(NTStatus.success)
    }

    /// ZwQueryInformationThread(ThreadHandle, ThreadInformationClass, ThreadInformation, Length, *ReturnLength).
    static func queryThread(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        let infoClass = try call.arg32(1), info = try call.arg(2), length = Int(try call.arg32(3))
        let returnLength = try call.arg(4)
        guard let resolved = try kernel.obResolve(try call.arg(0)) else { return UInt64(NTStatus.invalidHandle) }
        guard resolved.kind == "Thread" else { return UInt64(NTStatus.objectTypeMismatch) }
        let t = resolved.object
        typealias T = Layout.EThread
        let process = model.process(thread: t)
        switch infoClass {
        case 0: // ThreadBasicInformation
            let basic = le(UInt64(process?.terminated == true ? 0 : NTStatus.pending), 8)
                + le(try kernel.readU64(t &+ UInt64(T.teb)), 8) + le(try kernel.readU64(t &+ UInt64(T.cidUniqueProcess)), 8)
                + le(try kernel.readU64(t &+ UInt64(T.cidUniqueThread)), 8) + le(1, 8) + le(8, 4) + le(8, 4)
            return try answer(call, basic, info: info, length: length, returnLength: returnLength)
        case 1: // ThreadTimes
            let times = le(try kernel.readU64(t &+ UInt64(T.createTime)), 8) + le(0, 24)
            return try answer(call, times, info: info, length: length, returnLength: returnLength)
        case 9: // ThreadQuerySetWin32StartAddress
            return try answer(call, le(try kernel.readU64(t &+ UInt64(T.win32StartAddress)), 8), info: info,
                              length: length, returnLength: returnLength)
        case 12, 16, 18: // ThreadAmILastThread, ThreadIsIoPending, ThreadBreakOnTermination
            return try answer(call, le(infoClass == 12 ? 1 : 0, 4), info: info, length: length, returnLength: returnLength)
        case 17: // ThreadHideFromDebugger (query: BOOLEAN)
            return try answer(call, [0], info: info, length: length, returnLength: returnLength)
        case 20: // ThreadIsTerminated
            return try answer(call, le(process?.terminated == true ? 1 : 0, 4), info: info, length: length,
                              returnLength: returnLength)
        default:
            return UInt64(NTStatus.invalidInfoClass)
        }
    }

    /// ZwSetInformationThread(ThreadHandle, ThreadInformationClass, ThreadInformation, Length).
    static func setThread(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        let infoClass = try call.arg32(1), info = try call.arg(2), length = Int(try call.arg32(3))
        guard let resolved = try kernel.obResolve(try call.arg(0)) else { return UInt64(NTStatus.invalidHandle) }
        guard resolved.kind == "Thread" else { return UInt64(NTStatus.objectTypeMismatch) }
        let sizes: [UInt32: Int] = [2: 4, 3: 4, 4: 8, 5: 8, 9: 8, 10: 4, 13: 4, 14: 4, 17: 0, 18: 4]
        guard let size = sizes[infoClass] else { return UInt64(NTStatus.invalidInfoClass) }
        guard length == size else { return UInt64(NTStatus.infoLengthMismatch) }
        switch infoClass {
        case 17: call.note("ThreadHideFromDebugger")
        case 5: // ThreadImpersonationToken: 0 reverts; otherwise an impersonation token handle
            let token = try kernel.readU64(info)
            guard token != 0 else { return UInt64(NTStatus.success) }
            guard let resolvedToken = try kernel.obResolve(token) else { return UInt64(NTStatus.invalidHandle) }
            guard resolvedToken.kind == "Token" else { return UInt64(NTStatus.objectTypeMismatch) }
            guard try kernel.obModel().tokens[resolvedToken.object]?.type == 2 else { return 0xC000_00A8 } // BAD_TOKEN_TYPE
        case 9: try kernel.writeU64(resolved.object &+ UInt64(Layout.EThread.win32StartAddress), try kernel.readU64(info))
        default: _ = try kernel.readBytes(info, count: size)
        }
        return UInt64(NTStatus.success)
    }
}
