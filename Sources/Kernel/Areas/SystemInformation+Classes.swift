/// The information classes of Zw/NtQuerySystemInformation besides code integrity and
/// firmware tables, answered from the model's own state so the answers agree with
/// the other DDIs: the physical memory of MmGetPhysicalMemoryRanges, the one processor
/// of KeQueryActiveProcessorCount, the clock of KeQuerySystemTime, the process table
/// of PsLookupProcessByProcessId and the module list behind PsLoadedModuleList.
///
/// The sizing protocol is Windows': fixed-size classes want their exact (or a minimum)
/// length; the variable-size ones (modules, processes) report the length they need in
/// ReturnLength with STATUS_INFO_LENGTH_MISMATCH, so a driver asks with length 0 first.
extension SystemInformationArea {
    static let basicClass: UInt32 = 0, processorClass: UInt32 = 1, timeOfDayClass: UInt32 = 3
    static let processClass: UInt32 = 5, moduleClass: UInt32 = 11, kernelDebuggerClass: UInt32 = 35

    /// The model's processor count (KeNumberProcessors, KeQueryActiveProcessorCount).
    static let processorCount = 1

    /// The handler of class `infoClass`, or nil when the class is not modeled.
    static func classHandler(_ infoClass: UInt32)
        -> ((KernelCall, _ buffer: UInt64, _ length: UInt32, _ returned: UInt64) throws -> UInt32)?
    {
        switch infoClass {
        case basicClass: return basic
        case processorClass: return processor
        case timeOfDayClass: return timeOfDay
        case processClass: return processes
        case moduleClass: return modules
        case kernelDebuggerClass: return kernelDebugger
        default: return nil
        }
    }

    /// SystemBasicInformation: the length must be exactly sizeof(SYSTEM_BASIC_INFORMATION).
    static func basic(_ call: KernelCall, buffer: UInt64, length: UInt32, returned: UInt64) throws -> UInt32 {
        typealias B = Layout.SystemBasicInformation
        let kernel = call.kernel
        if returned != 0 { try kernel.writeU32(returned, UInt32(B.size)) }
        guard length == UInt32(B.size) else { return NTStatus.infoLengthMismatch }
        let ram = kernel.memory.physicalMemoryRange
        let lowest = ram.lowerBound >> 12, pages = UInt64(ram.count) >> 12
        let highest = pages == 0 ? lowest : lowest &+ pages &- 1
        try kernel.fill(buffer, count: B.size)
        try kernel.writeU32(buffer &+ UInt64(B.timerResolution), 156_250)   // 15.625 ms in 100 ns units
        try kernel.writeU32(buffer &+ UInt64(B.pageSize), 0x1000)
        try kernel.writeU32(buffer &+ UInt64(B.numberOfPhysicalPages), UInt32(clamping: pages))
        try kernel.writeU32(buffer &+ UInt64(B.lowestPhysicalPageNumber), UInt32(clamping: lowest))
        try kernel.writeU32(buffer &+ UInt64(B.highestPhysicalPageNumber), UInt32(clamping: highest))
        try kernel.writeU32(buffer &+ UInt64(B.allocationGranularity), 0x1_0000)
        try kernel.writeU64(buffer &+ UInt64(B.minimumUserModeAddress), 0x1_0000)
        try kernel.writeU64(buffer &+ UInt64(B.maximumUserModeAddress), 0x7FFF_FFFE_FFFF)
        try kernel.writeU64(buffer &+ UInt64(B.activeProcessorsAffinityMask), (1 << UInt64(processorCount)) - 1)
        try kernel.writeU8(buffer &+ UInt64(B.numberOfProcessors), UInt8(processorCount))
        call.note("SystemBasicInformation: \(pages) pages from PFN 0x\(String(lowest, radix: 16)), \(processorCount) processor(s)")
        return NTStatus.success
    }

    /// SystemProcessorInformation: an AMD64 family-6 processor.
    static func processor(_ call: KernelCall, buffer: UInt64, length: UInt32, returned: UInt64) throws -> UInt32 {
        typealias P = Layout.SystemProcessorInformation
        let kernel = call.kernel
        if returned != 0 { try kernel.writeU32(returned, UInt32(P.size)) }
        guard length >= UInt32(P.size) else { return NTStatus.infoLengthMismatch }
        try kernel.fill(buffer, count: P.size)
        try kernel.writeU16(buffer &+ UInt64(P.architecture), P.amd64)
        try kernel.writeU16(buffer &+ UInt64(P.level), 6)
        try kernel.writeU16(buffer &+ UInt64(P.revision), 0x9E0A)           // model 0x9E, stepping 10
        try kernel.writeU16(buffer &+ UInt64(P.maximumProcessors), UInt16(processorCount))
        return NTStatus.success
    }

    /// SystemTimeOfDayInformation: any length up to the structure's; that many bytes are copied.
    static func timeOfDay(_ call: KernelCall, buffer: UInt64, length: UInt32, returned: UInt64) throws -> UInt32 {
        typealias T = Layout.SystemTimeOfDayInformation
        let kernel = call.kernel
        guard length <= UInt32(T.size) else {
            if returned != 0 { try kernel.writeU32(returned, 0) }
            return NTStatus.infoLengthMismatch
        }
        let now = kernel.processor.systemTime
        let boot = now &- TimeArea.clock(kernel).interruptTime
        var bytes = [UInt8](repeating: 0, count: T.size)
        for (offset, value) in [(T.bootTime, boot), (T.currentTime, now)] {
            for index in 0..<8 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
        }
        // TimeZoneBias 0 and TimeZoneId TIME_ZONE_ID_UNKNOWN (0): the model runs in UTC.
        try kernel.writeBytes(buffer, Array(bytes.prefix(Int(length))))
        if returned != 0 { try kernel.writeU32(returned, length) }
        return NTStatus.success
    }

    /// SystemKernelDebuggerInformation: no debugger, as KdDebuggerEnabled / KdDebuggerNotPresent say.
    static func kernelDebugger(_ call: KernelCall, buffer: UInt64, length: UInt32, returned: UInt64) throws -> UInt32 {
        typealias D = Layout.SystemKernelDebuggerInformation
        let kernel = call.kernel
        if returned != 0 { try kernel.writeU32(returned, UInt32(D.size)) }
        guard length >= UInt32(D.size) else { return NTStatus.infoLengthMismatch }
        try kernel.writeU8(buffer &+ UInt64(D.enabled), 0)
        try kernel.writeU8(buffer &+ UInt64(D.notPresent), 1)
        return NTStatus.success
    }

    /// SystemModuleInformation: one RTL_PROCESS_MODULE_INFORMATION per entry of the loaded-module
    /// list, walked in guest memory as Windows walks PsLoadedModuleList (a driver that unlinks
    /// its entry is gone from the answer). ReturnLength is the length all entries need; when the
    /// buffer is shorter the entries that fit are written and the status is
    /// STATUS_INFO_LENGTH_MISMATCH. NumberOfModules is written whenever the header fits.
    static func modules(_ call: KernelCall, buffer: UInt64, length: UInt32, returned: UInt64) throws -> UInt32 {
        typealias M = Layout.RtlProcessModules
        typealias E = Layout.KldrDataTableEntry
        let kernel = call.kernel, list = try kernel.loadedModules()
        var status = NTStatus.success
        var required = UInt64(M.modules), count: UInt64 = 0
        var link = try kernel.readU64(list.head)
        while link != list.head, count < 0x1000 {
            let entry = link &- UInt64(E.inLoadOrderLinks)
            let at = buffer &+ required
            required &+= UInt64(M.moduleSize)
            if UInt64(length) >= required {
                try writeModule(kernel, entry: entry, at: at, index: UInt16(truncatingIfNeeded: count))
            } else {
                status = NTStatus.infoLengthMismatch
            }
            count += 1
            link = try kernel.readU64(link)
        }
        if returned != 0 { try kernel.writeU32(returned, UInt32(clamping: required)) }
        if UInt64(length) >= UInt64(M.modules) {
            try kernel.writeU32(buffer &+ UInt64(M.numberOfModules), UInt32(count))
        } else {
            status = NTStatus.infoLengthMismatch
        }
        call.note("SystemModuleInformation: \(count) module(s), 0x\(String(required, radix: 16)) bytes")
        return status
    }

    /// One RTL_PROCESS_MODULE_INFORMATION from a KLDR_DATA_TABLE_ENTRY: the full path in ANSI
    /// (at most 255 bytes, NUL-terminated) and the offset of its file name.
    static func writeModule(_ kernel: Kernel, entry: UInt64, at: UInt64, index: UInt16) throws {
        typealias M = Layout.RtlProcessModules
        typealias E = Layout.KldrDataTableEntry
        let path = try kernel.readUnicodeString(entry &+ UInt64(E.fullDllName)) ?? ""
        let ansi = Array(path.unicodeScalars.map { $0.isASCII ? UInt8($0.value) : UInt8(ascii: "?") }
            .prefix(M.fullPathNameLength - 1))
        let fileName = (ansi.lastIndex(of: UInt8(ascii: "\\")).map { $0 + 1 }) ?? 0
        try kernel.fill(at, count: M.moduleSize)
        try kernel.writeU64(at &+ UInt64(M.imageBase), try kernel.readU64(entry &+ UInt64(E.dllBase)))
        try kernel.writeU32(at &+ UInt64(M.imageSize), try kernel.readU32(entry &+ UInt64(E.sizeOfImage)))
        try kernel.writeU32(at &+ UInt64(M.flags), try kernel.readU32(entry &+ UInt64(E.flags)))
        try kernel.writeU16(at &+ UInt64(M.loadOrderIndex), index)
        try kernel.writeU16(at &+ UInt64(M.initOrderIndex), index)
        try kernel.writeU16(at &+ UInt64(M.loadCount), try kernel.readU16(entry &+ UInt64(E.loadCount)))
        try kernel.writeU16(at &+ UInt64(M.offsetToFileName), UInt16(fileName))
        try kernel.writeBytes(at &+ UInt64(M.fullPathName), ansi + [0])
    }

    /// SystemProcessInformation: the Idle process (PID 0) and then every live process of the
    /// model's table, each with its one thread and its image name stored after it in the buffer.
    /// Nothing is written unless the whole list fits; ReturnLength says how much it needs.
    static func processes(_ call: KernelCall, buffer: UInt64, length: UInt32, returned: UInt64) throws -> UInt32 {
        typealias P = Layout.SystemProcessInformation
        typealias T = Layout.SystemThreadInformation
        let kernel = call.kernel, model = try kernel.obModel()
        struct Row { var pid: UInt64, parent: UInt64, tid: UInt64, name: [UInt8], session: UInt32, eprocess: UInt64, thread: UInt64 }
        var rows = [Row(pid: 0, parent: 0, tid: 0, name: [], session: 0, eprocess: 0, thread: 0)]
        for process in model.processes where !process.terminated {
            let units = Array(process.name.utf16)
            rows.append(Row(pid: process.pid, parent: process.parent, tid: process.tid,
                            name: units.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] },
                            session: process.sessionId, eprocess: process.eprocess, thread: process.thread))
        }
        let sizes = rows.map { P.size + T.size + (($0.name.isEmpty ? 0 : $0.name.count + 2) + 7) & ~7 }
        let required = sizes.reduce(0, +)
        if returned != 0 { try kernel.writeU32(returned, UInt32(required)) }
        guard UInt64(length) >= UInt64(required) else {
            call.note("SystemProcessInformation: needs 0x\(String(required, radix: 16)) bytes")
            return NTStatus.infoLengthMismatch
        }
        var at = buffer
        for (index, row) in rows.enumerated() {
            let size = sizes[index], last = index == rows.count - 1
            try kernel.fill(at, count: size)
            try kernel.writeU32(at &+ UInt64(P.nextEntryOffset), last ? 0 : UInt32(size))
            try kernel.writeU32(at &+ UInt64(P.numberOfThreads), 1)
            let created = row.eprocess == 0 ? 0 : try kernel.readU64(row.eprocess &+ UInt64(Layout.EProcess.createTime))
            try kernel.writeU64(at &+ UInt64(P.createTime), created)
            if !row.name.isEmpty {
                let name = at &+ UInt64(P.size + T.size)
                try kernel.writeBytes(name, row.name + [0, 0])
                try kernel.writeUnicodeStringHeader(at &+ UInt64(P.imageName), buffer: name, length: row.name.count,
                                                    maximumLength: row.name.count + 2)
            }
            try kernel.writeU32(at &+ UInt64(P.basePriority), row.pid == 0 ? 0 : 8)
            try kernel.writeU64(at &+ UInt64(P.uniqueProcessId), row.pid)
            try kernel.writeU64(at &+ UInt64(P.inheritedFromUniqueProcessId), row.parent)
            try kernel.writeU32(at &+ UInt64(P.sessionId), row.session)
            try kernel.writeU64(at &+ UInt64(P.uniqueProcessKey), row.pid)
            let thread = at &+ UInt64(P.size)
            try kernel.writeU64(thread &+ UInt64(T.createTime), created)
            if row.thread != 0 {
                try kernel.writeU64(thread &+ UInt64(T.startAddress),
                                    try kernel.readU64(row.thread &+ UInt64(Layout.EThread.startAddress)))
            }
            try kernel.writeU64(thread &+ UInt64(T.uniqueProcess), row.pid)
            try kernel.writeU64(thread &+ UInt64(T.uniqueThread), row.tid)
            try kernel.writeU32(thread &+ UInt64(T.priority), row.pid == 0 ? 0 : 8)
            try kernel.writeU32(thread &+ UInt64(T.basePriority), row.pid == 0 ? 0 : 8)
            // Idle's thread is running (2); every other thread waits (5) on a user request (6).
            try kernel.writeU32(thread &+ UInt64(T.threadState), row.pid == 0 ? 2 : 5)
            try kernel.writeU32(thread &+ UInt64(T.waitReason), row.pid == 0 ? 0 : 6)
            at &+= UInt64(size)
        }
        call.note("SystemProcessInformation: \(rows.count) processes")
        return NTStatus.success
    }
}
