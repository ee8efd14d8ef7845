/// The kernel model's processes and threads (PsLookupProcessByProcessId, PsGetProcessId, PsGetProcessImageFileName, PsGetVersion, ZwOpenProcess, ZwTerminateProcess, ZwQueryInformationProcess, KeStackAttachProcess, PsCreateSystemThread, PsTerminateSystemThread, PsLookupThreadByThreadId, IoThreadToProcess, …).
///
/// A fixed set of processes (ObjectModel.processTable: System PID 4 — the
/// current process — smss, csrss, wininit, winlogon, services, lsass,
/// svchost, explorer, notepad), each an EPROCESS with one ETHREAD in kernel
/// memory. Accessors read the guest structures, so a driver that patches a
/// field sees its patch. PsCreateSystemThread belongs to the Deferred area.
enum ProcessArea {
    static let handlers: [KernelExport] = coreHandlers + informationHandlers

    static let coreHandlers: [KernelExport] = [
        .ntoskrnl("PsLookupProcessByProcessId") { try lookupProcess($0) },
        .ntoskrnl("PsLookupThreadByThreadId") { try lookupThread($0) },
        .ntoskrnl("PsLookupProcessThreadByCid") { try lookupProcessThreadByCid($0) },
        .ntoskrnl("PsGetProcessId") { try field($0, Layout.EProcess.uniqueProcessId) },
        .ntoskrnl("PsGetProcessInheritedFromUniqueProcessId") { try field($0, Layout.EProcess.inheritedFromUniqueProcessId) },
        .ntoskrnl("PsGetProcessPeb") { try field($0, Layout.EProcess.peb) },
        .ntoskrnl("PsGetProcessWow64Process") { try field($0, Layout.EProcess.wow64Process) },
        .ntoskrnl("PsGetProcessWin32Process") { try field($0, Layout.EProcess.win32Process) },
        .ntoskrnl("PsGetProcessSectionBaseAddress") { try field($0, Layout.EProcess.sectionBaseAddress) },
        .ntoskrnl("PsGetProcessDebugPort") { try field($0, Layout.EProcess.debugPort) },
        .ntoskrnl("PsGetProcessJob") { try field($0, Layout.EProcess.job) },
        .ntoskrnl("PsGetProcessCreateTimeQuadPart") { try field($0, Layout.EProcess.createTime) },
        .ntoskrnl("PsGetProcessExitStatus") { call in UInt64(try call.kernel.readU32(try nonNull(call) &+ UInt64(Layout.EProcess.exitStatus))) },
        .ntoskrnl("PsGetProcessImageFileName") { call in try nonNull(call) &+ UInt64(Layout.EProcess.imageFileName) },
        .ntoskrnl("PsGetProcessSessionId") { try sessionId($0, process: nonNull($0)) },
        .ntoskrnl("PsGetProcessSessionIdEx") { try sessionId($0, process: nonNull($0)) },
        .ntoskrnl("PsGetCurrentProcessSessionId") { call in try sessionId(call, process: call.kernel.obCurrentProcess()) },
        .ntoskrnl("PsGetCurrentProcessWow64Process") { _ in 0 },
        .ntoskrnl("PsIsProtectedProcess") { call in UInt64(try call.kernel.readU8(try nonNull(call) &+ UInt64(Layout.EProcess.protection)) & 7 != 0 ? 1 : 0) },
        .ntoskrnl("PsIsProtectedProcessLight") { call in UInt64(try call.kernel.readU8(try nonNull(call) &+ UInt64(Layout.EProcess.protection)) & 7 == 1 ? 1 : 0) },
        .ntoskrnl("PsGetProcessExitProcessCalled") { call in
            UInt64(try call.kernel.readU32(try nonNull(call) &+ UInt64(Layout.EProcess.flags)) & Layout.EProcess.processExiting != 0 ? 1 : 0)
        },
        .ntoskrnl("PsGetThreadId") { try field($0, Layout.EThread.cidUniqueThread) },
        .ntoskrnl("PsGetThreadProcessId") { try field($0, Layout.EThread.cidUniqueProcess) },
        .ntoskrnl("PsGetThreadProcess") { try field($0, Layout.EThread.process) },
        .ntoskrnl("IoThreadToProcess") { try field($0, Layout.EThread.process) },
        .ntoskrnl("PsGetThreadTeb") { try field($0, Layout.EThread.teb) },
        .ntoskrnl("PsGetCurrentThreadTeb") { call in try call.kernel.readU64(call.kernel.processor.thread &+ UInt64(Layout.EThread.teb)) },
        .ntoskrnl("PsGetThreadSessionId") { call in
            try sessionId(call, process: call.kernel.readU64(try nonNull(call) &+ UInt64(Layout.EThread.process)))
        },
        .ntoskrnl("PsIsSystemThread") { call in
            let process = try call.kernel.readU64(try nonNull(call) &+ UInt64(Layout.EThread.process))
            return process == call.kernel.processor.process ? 1 : 0
        },
        .ntoskrnl("PsIsThreadTerminating") { _ in 0 }.stub("no thread of the model ever terminates"),
        .ntoskrnl("PsGetProcessExitTime") { _ in 0 },
        .ntoskrnl("PsIsProcessBeingDebugged") { _ in 0 }.stub("no process is debugged in the model"),
        .ntoskrnl("PsGetVersion") { try getVersion($0) },
        .ntoskrnl("KeStackAttachProcess") { try attach($0, process: $0.arg(0), apcState: $0.arg(1)) },
        .ntoskrnl("KeUnstackDetachProcess") { try detach($0, apcState: $0.arg(0)) },
        .ntoskrnl("KeAttachProcess") { try attach($0, process: $0.arg(0), apcState: 0) },
        .ntoskrnl("KeDetachProcess") { try detach($0, apcState: 0) },
        .ntoskrnl("KeIsAttachedProcess") { call in try call.kernel.obModel().attachedProcess != 0 ? 1 : 0 },
        .ntoskrnl("IoGetRequestorProcess") { try requestorProcess($0) },
        .ntoskrnl("IoGetRequestorProcessId") { call in
            let process = try requestorProcess(call)
            return process == 0 ? 0 : try call.kernel.readU64(process &+ UInt64(Layout.EProcess.uniqueProcessId)) & 0xFFFF_FFFF
        },
        .ntoskrnl("IoGetRequestorSessionId") { call in
            let process = try requestorProcess(call), out = try call.arg(1)
            guard process != 0 else { return UInt64(NTStatus.unsuccessful) }
            try call.kernel.writeU32(out, UInt32(truncatingIfNeeded: try sessionId(call, process: process)))
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("IoIs32bitProcess") { _ in 0 }.stub("every caller is a 64-bit process in the model"),
        .ntoskrnl("ZwOpenProcess") { try openProcess($0) },
        .ntoskrnl("NtOpenProcess") { try openProcess($0) },
        .ntoskrnl("ZwOpenThread") { try openThread($0) },
        .ntoskrnl("NtOpenThread") { try openThread($0) },
        .ntoskrnl("ZwTerminateProcess") { try terminate($0) },
        .ntoskrnl("NtTerminateProcess") { try terminate($0) },
        .ntoskrnl("PsAcquireProcessExitSynchronization") { call in
            try call.kernel.obModel().process(at: try call.arg(0)) == nil ? UInt64(NTStatus.invalidParameter) : 0
        },
        .ntoskrnl("PsReleaseProcessExitSynchronization") { _ in 0 }.stub("process exit is never synchronised in the model"),
    ]

    /// The pointer argument 0, which Windows dereferences without checking: NULL is a page fault.
    static func nonNull(_ call: KernelCall) throws -> UInt64 {
        let object = try call.arg(0)
        guard object != 0 else {
            throw KernelStop.bugCheck(code: 0x50, parameters: [0, 0, call.returnAddress, 0], site: call.returnAddress)
        }
        return object
    }

    /// A pointer-sized field of the EPROCESS/ETHREAD in argument 0, as the accessor reads it.
    static func field(_ call: KernelCall, _ offset: Int) throws -> UInt64 {
        try call.kernel.readU64(try nonNull(call) &+ UInt64(offset))
    }

    static func sessionId(_ call: KernelCall, process: UInt64) throws -> UInt64 {
        UInt64(try call.kernel.obModel().process(at: process)?.sessionId ?? 0)
    }

    /// PsLookupProcessByProcessId(ProcessId, *Process): a referenced EPROCESS, or STATUS_INVALID_CID.
    static func lookupProcess(_ call: KernelCall) throws -> UInt64 {
        let model = try call.kernel.obModel(), pid = try call.arg(0), out = try call.arg(1)
        guard let process = model.process(pid: pid) else {
            call.note("PID \(pid): no such process")
            return UInt64(NTStatus.invalidCid)
        }
        call.note("PID \(pid) \(process.name)")
        _ = try ObjectsArea.reference(call, process.eprocess)
        try call.kernel.writeU64(out, process.eprocess)
        return UInt64(NTStatus.success)
    }

    /// PsLookupThreadByThreadId(ThreadId, *Thread).
    static func lookupThread(_ call: KernelCall) throws -> UInt64 {
        let model = try call.kernel.obModel(), tid = try call.arg(0), out = try call.arg(1)
        guard let process = model.processes.first(where: { $0.tid == tid }) else { return UInt64(NTStatus.invalidCid) }
        call.note("TID \(tid) in \(process.name)")
        _ = try ObjectsArea.reference(call, process.thread)
        try call.kernel.writeU64(out, process.thread)
        return UInt64(NTStatus.success)
    }

    /// PsLookupProcessThreadByCid(Cid, *Process (optional), *Thread).
    static func lookupProcessThreadByCid(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel(), cid = try call.arg(0)
        let processOut = try call.arg(1), threadOut = try call.arg(2)
        let pid = try kernel.readU64(cid), tid = try kernel.readU64(cid &+ 8)
        guard let process = model.processes.first(where: { $0.tid == tid && $0.pid == pid }) else {
            return UInt64(NTStatus.invalidCid)
        }
        _ = try ObjectsArea.reference(call, process.thread)
        try kernel.writeU64(threadOut, process.thread)
        if processOut != 0 {
            _ = try ObjectsArea.reference(call, process.eprocess)
            try kernel.writeU64(processOut, process.eprocess)
        }
        return UInt64(NTStatus.success)
    }

    /// PsGetVersion(*MajorVersion, *MinorVersion, *BuildNumber, *CSDVersion) -> BOOLEAN (checked build).
    static func getVersion(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        for (index, value) in [(0, UInt32(10)), (1, 0), (2, 19045)] {
            let out = try call.arg(index)
            if out != 0 { try kernel.writeU32(out, value) }
        }
        let csd = try call.arg(3)
        if csd != 0 {
            let empty = try kernel.makeUnicodeString("", name: "CmCSDVersionString")
            try kernel.writeUnicodeStringHeader(csd, buffer: empty &+ UInt64(Layout.UnicodeString.size), length: 0,
                                                maximumLength: 2)
        }
        return 0
    }

    /// KeStackAttachProcess(Process, ApcState) / KeAttachProcess(Process): the current thread's
    /// ApcState.Process (what PsGetCurrentProcess reads inline) becomes `process`.
    static func attach(_ call: KernelCall, process: UInt64, apcState: UInt64) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        guard let target = model.process(at: process) else {
            // KeStackAttachProcess on something that is not a process: INVALID_PROCESS_ATTACH_ATTEMPT.
            throw KernelStop.bugCheck(code: 0x5, parameters: [process, 0, 0, 0], site: call.returnAddress)
        }
        guard model.attachStack.count < 64 else {
            throw KernelStop.bugCheck(code: 0x5, parameters: [process, 0, UInt64(model.attachStack.count), 1],
                                      site: call.returnAddress)
        }
        if apcState == 0, model.attachedProcess != 0 {
            // KeAttachProcess while attached: INVALID_PROCESS_ATTACH_ATTEMPT.
            throw KernelStop.bugCheck(code: 0x5, parameters: [process, model.attachedProcess, 0, 0], site: call.returnAddress)
        }
        let current = try kernel.obCurrentProcess()
        if apcState != 0 {
            try kernel.fill(apcState, count: Layout.KApcState.size)
            try kernel.writeU64(apcState &+ UInt64(Layout.KApcState.process), current)
        }
        model.attachStack.append((current, apcState))
        model.attachedProcess = process == kernel.processor.process ? 0 : process
        try kernel.writeU64(kernel.processor.thread &+ UInt64(Layout.EThread.apcState + Layout.KApcState.process), process)
        call.note("attached to \(target.name)")
        return 0
    }

    static func detach(_ call: KernelCall, apcState: UInt64) throws -> UInt64 {
        let kernel = call.kernel, model = try kernel.obModel()
        guard let last = model.attachStack.last, last.apcState == apcState else {
            // Unbalanced or out-of-order detach: INVALID_PROCESS_DETACH_ATTEMPT.
            if apcState == 0, model.attachStack.isEmpty { return 0 }
            throw KernelStop.bugCheck(code: 0x6, parameters: [apcState, 0, 0, 0], site: call.returnAddress)
        }
        model.attachStack.removeLast()
        model.attachedProcess = last.previous == kernel.processor.process ? 0 : last.previous
        try kernel.writeU64(kernel.processor.thread &+ UInt64(Layout.EThread.apcState + Layout.KApcState.process),
                            last.previous)
        return 0
    }

    /// IoGetRequestorProcess(Irp): the process of Irp->Tail.Overlay.Thread (NULL without a thread).
    static func requestorProcess(_ call: KernelCall) throws -> UInt64 {
        let irp = try call.arg(0)
        guard irp != 0 else { return 0 }
        let thread = try call.kernel.readU64(irp &+ UInt64(Layout.IrpTail.thread))
        guard thread != 0 else { return 0 }
        return try call.kernel.readU64(thread &+ UInt64(Layout.EThread.process))
    }
}
