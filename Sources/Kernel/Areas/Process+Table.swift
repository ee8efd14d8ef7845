/// The fixed set of processes (ObjectModel.processTable) built in guest memory:
/// an EPROCESS and one ETHREAD each (the System ones are the Processor's),
/// linked on ActiveProcessLinks, each with a primary token and, for user
/// processes, a PEB with RTL_USER_PROCESS_PARAMETERS at a user address.
extension Kernel {
    func installProcesses(_ model: ObjectModel) throws {
        typealias P = Layout.EProcess
        typealias T = Layout.EThread
        model.activeProcessHead = try heap.allocate(16, name: "PsActiveProcessHead")
        var previousLinks = model.activeProcessHead
        for (index, entry) in ObjectModel.processTable.enumerated() {
            var process = ObjectModel.Process(pid: entry.0, parent: entry.1, name: entry.2, sessionId: entry.3,
                                              imagePath: entry.4)
            if entry.0 == 4 {
                process.eprocess = processor.process
                process.thread = processor.thread
                process.tid = 8
                model.records[process.eprocess] = .init(kind: "Process")
                model.records[process.thread] = .init(kind: "Thread")
            } else {
                process.eprocess = try obAllocate(kind: "Process", bodySize: P.totalSize)
                process.thread = try obAllocate(kind: "Thread", bodySize: T.totalSize)
                process.tid = entry.0 &+ 4
            }
            let e = process.eprocess, t = process.thread
            try writeU8(e, 3) // DISPATCHER_HEADER.Type = ProcessObject
            try writeU64(e &+ UInt64(P.directoryTableBase), 0x1AD000 &+ UInt64(index) << 20)
            try writeU64(e &+ UInt64(P.uniqueProcessId), process.pid)
            try writeU64(e &+ UInt64(P.inheritedFromUniqueProcessId), process.parent)
            try writeU64(e &+ UInt64(P.createTime), processor.systemTime &- 600_000_000 &+ UInt64(index) * 10_000_000)
            try writeU32(e &+ UInt64(P.exitStatus), NTStatus.pending)
            try writeU32(e &+ UInt64(P.activeThreads), 1)
            let imageName = Array(process.name.utf8.prefix(P.imageFileNameLength))
            try writeBytes(e &+ UInt64(P.imageFileName), imageName + [0])
            if process.pid == 4 { try writeU32(e &+ UInt64(P.flags3), P.systemProcessFlag) }
            // ActiveProcessLinks: head <-> System <-> … (closed below).
            let links = e &+ UInt64(P.activeProcessLinks)
            try writeU64(previousLinks, links)
            try writeU64(links &+ 8, previousLinks)
            previousLinks = links
            // Thread list of the process and its one thread.
            let head = e &+ UInt64(P.threadListHead), threadLinks = t &+ UInt64(T.threadListEntry)
            try writeU64(head, threadLinks)
            try writeU64(head &+ 8, threadLinks)
            try writeU64(threadLinks, head)
            try writeU64(threadLinks &+ 8, head)
            try writeU8(t, 6) // ThreadObject
            try writeU64(t &+ UInt64(T.process), e)
            try writeU64(t &+ UInt64(T.apcState + Layout.KApcState.process), e)
            try writeU8(t &+ UInt64(T.previousMode), process.pid == 4 ? 0 : 1)
            try writeU64(t &+ UInt64(T.cidUniqueProcess), process.pid)
            try writeU64(t &+ UInt64(T.cidUniqueThread), process.tid)
            try writeU64(t &+ UInt64(T.createTime), processor.systemTime &- 500_000_000)
            process.token = try makeToken(for: process, model: model)
            try writeU64(e &+ UInt64(P.token), process.token)
            if process.pid != 4 {
                process.peb = (try? makePeb(process, index: index)) ?? 0
                try writeU64(e &+ UInt64(P.peb), process.peb)
                try writeU64(e &+ UInt64(P.sectionBaseAddress), 0x7FF6_0000_0000 &+ UInt64(index) << 24)
                if process.peb != 0 { try writeU64(t &+ UInt64(T.teb), process.peb &+ 0x1000) }
            }
            model.processes.append(process)
        }
        try writeU64(previousLinks, model.activeProcessHead)
        try writeU64(model.activeProcessHead &+ 8, previousLinks)
    }

    /// A primary token for `process`: SYSTEM for session 0, the interactive (unelevated) user otherwise.
    func makeToken(for process: ObjectModel.Process, model: ObjectModel) throws -> UInt64 {
        let system = process.sessionId == 0
        let enabled: UInt32 = 0x7 // SE_GROUP_MANDATORY | ENABLED_BY_DEFAULT | ENABLED
        let token = ObjectModel.Token(
            user: system ? .localSystem : .interactiveUser,
            groups: system
                ? [(.administrators, 0xE), (.world, enabled), (.authenticatedUsers, enabled), (.systemLabel, 0x60)]
                : [(.noneGroup, enabled), (.world, enabled), (.administrators, 0x10), (.users, enabled),
                   (.interactive, enabled), (.authenticatedUsers, enabled), (.mediumLabel, 0x60)],
            privileges: system
                ? (2...36).map { (UInt32($0), [20, 23, 7, 29, 30].contains($0) ? 0x3 : 0x2) }
                : [(19, 0), (23, 0x3), (25, 0), (33, 0), (34, 0)],
            integrity: system ? .systemLabel : .mediumLabel,
            sessionId: process.sessionId,
            authenticationId: system ? 0x3E7 : 0x3_A2F1,
            tokenId: model.nextTokenId,
            elevationType: system ? 1 : 3, elevated: system)
        model.nextTokenId &+= 0x101
        let address = try obAllocate(kind: "Token", bodySize: 0x498)
        model.tokens[address] = token
        return address
    }

    /// A PEB at a user address with ImageBaseAddress and ProcessParameters (ImagePathName, CommandLine).
    private func makePeb(_ process: ObjectModel.Process, index: Int) throws -> UInt64 {
        typealias B = Layout.Peb
        let base = 0x0000_00C0_0000_0000 &+ UInt64(index) << 20
        let page = try memory.allocate(pages: 2, owner: .kernelStructure("PEB " + process.name), at: base).base
        let parameters = page &+ 0x400
        try writeU64(page &+ UInt64(B.imageBaseAddress), 0x7FF6_0000_0000 &+ UInt64(index) << 24)
        try writeU64(page &+ UInt64(B.processParameters), parameters)
        try writeU32(page &+ UInt64(B.sessionId), process.sessionId)
        let volume = "\\Device\\HarddiskVolume3"
        let win32Path = process.imagePath.hasPrefix(volume) ? "C:" + process.imagePath.dropFirst(volume.count) : process.imagePath
        var cursor = parameters &+ 0x400
        for (offset, text) in [(B.parametersImagePathName, win32Path), (B.parametersCommandLine, "\"\(win32Path)\"")] {
            let units = Array(text.utf16.prefix(0x200))
            try writeBytes(cursor, units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } + [0, 0])
            try writeUnicodeStringHeader(parameters &+ UInt64(offset), buffer: cursor, length: units.count * 2,
                                         maximumLength: units.count * 2 &+ 2)
            cursor &+= UInt64(units.count * 2 &+ 2 &+ 15) & ~15
        }
        return page
    }
}
