/// Small documented Rtl/Ex/Kd/Po services drivers call from DriverEntry:
/// version checks, random numbers, UUIDs, character conversion, the kernel
/// debugger switches, device power state, image headers.
enum RtlMiscArea {
    static let handlers: [KernelExport] = [
        .ntoskrnl("VerSetConditionMask") { call in
            setConditionMask(try call.arg(0), typeMask: try call.arg32(1), condition: UInt8(truncatingIfNeeded: try call.arg(2)))
        },
        .ntoskrnl("RtlVerifyVersionInfo") { try verifyVersionInfo($0) },
        .ntoskrnl("RtlRandom") { try random($0) },
        .ntoskrnl("RtlRandomEx") { try random($0) },
        .ntoskrnl("RtlUniform") { try random($0) },
        .ntoskrnl("ExUuidCreate") { try createUuid($0) },
        // NTSTATUS BCryptGenRandom(BCRYPT_ALG_HANDLE hAlgorithm, PUCHAR pbBuffer, ULONG cbBuffer, ULONG dwFlags):
        // exported by cng.sys and, for drivers that link ksecdd.lib, by ksecdd.sys.
        .cng("BCryptGenRandom") { try genRandom($0) },
        .ksecdd("BCryptGenRandom") { try genRandom($0) },
        .ntoskrnl("RtlAnsiCharToUnicodeChar") { try ansiCharToUnicode($0) },
        // No kernel debugger is attached: disabling it succeeds, changing its options reports it inactive.
        .ntoskrnl("KdDisableDebugger") { _ in UInt64(NTStatus.success) }.stub("no kernel debugger: nothing changes"),
        .ntoskrnl("KdEnableDebugger") { _ in UInt64(NTStatus.success) }.stub("no kernel debugger: nothing changes"),
        .ntoskrnl("KdChangeOption") { _ in UInt64(MiscStatus.debuggerInactive) }.stub("no kernel debugger: always STATUS_DEBUGGER_INACTIVE"),
        .ntoskrnl("PoSetPowerState") { try setPowerState($0) },
        .ntoskrnl("RtlImageNtHeader") { call in try ntHeader(call.kernel, base: call.arg(0)) ?? 0 },
        // RtlPcToFileHeader(PcValue, *BaseOfImage): the DllBase of the loaded module (PsLoadedModuleList)
        // whose image holds PcValue — the driver, ntoskrnl.exe (every kernel routine's address), … —
        // else NULL; the same value is stored in *BaseOfImage.
        .ntoskrnl("RtlPcToFileHeader") { call in
            let pc = try call.arg(0)
            let base = try call.kernel.loadedModuleBase(containing: pc)
                ?? call.kernel.exceptionImageLookup?(pc)?.imageBase ?? 0
            try call.kernel.writeU64(call.arg(1), base)
            return base
        },
        .ntoskrnl("FsRtlGetFileSize") { try fileSize($0) },
        .ntoskrnl("memcpy_s") { try copySecure($0) },
        .ntoskrnl("memmove_s") { try copySecure($0) },
        // IoAcquireCancelSpinLock(*Irql) / IoReleaseCancelSpinLock(Irql): the system-wide cancel
        // lock; on one CPU taking it only raises to DISPATCH_LEVEL.
        .ntoskrnl("IoAcquireCancelSpinLock") { call in
            let old = try SynchronizationArea.raise(call, to: SynchronizationArea.dispatchLevel)
            try call.kernel.writeU8(call.arg(0), old)
            return 0
        },
        .ntoskrnl("IoReleaseCancelSpinLock") { call in
            try SynchronizationArea.lower(call, to: UInt8(truncatingIfNeeded: call.arg(0)))
            return 0
        },
    ]

    enum MiscStatus {
        static let debuggerInactive: UInt32 = 0xC000_0354
    }

    /// The Windows version the model reports (RtlGetVersion): 10.0.19045, VER_PLATFORM_WIN32_NT,
    /// no service pack, a workstation.
    enum OSVersion {
        static let major: UInt32 = 10, minor: UInt32 = 0, build: UInt32 = 19045, platform: UInt32 = 2
        static let servicePackMajor: UInt32 = 0, servicePackMinor: UInt32 = 0
        /// VER_SUITE_SINGLEUSERTS
        static let suiteMask: UInt32 = 0x100
        /// VER_NT_WORKSTATION
        static let productType: UInt32 = 1
    }

    final class State {
        /// Next UUID counter and power states by device (absent = PowerDeviceD0).
        var uuidCounter: UInt64 = 0
        var devicePower: [UInt64: UInt32] = [:]
    }

    static func miscState(_ kernel: Kernel) -> State { kernel.state(State.self) { State() } }

    // MARK: Versions

    /// VER_* type bits in the order of their 3-bit fields in a condition mask.
    static let typeBits: [UInt32] = [0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80]

    /// VerSetConditionMask(ConditionMask, TypeMask, Condition): stores the condition (1…7) in the
    /// 3-bit field of each VER_* bit in TypeMask (VER_MINORVERSION bits 0–2, VER_MAJORVERSION 3–5, …).
    static func setConditionMask(_ mask: UInt64, typeMask: UInt32, condition: UInt8) -> UInt64 {
        var mask = mask
        guard condition != 0 else { return mask }
        for (index, bit) in typeBits.enumerated() where typeMask & bit != 0 {
            let shift = UInt64(index * 3)
            mask = (mask & ~(0x7 << shift)) | (UInt64(condition & 0x7) << shift)
        }
        return mask
    }

    static func condition(_ mask: UInt64, _ bit: UInt32) -> UInt8 {
        guard let index = typeBits.firstIndex(of: bit) else { return 0 }
        return UInt8((mask >> UInt64(index * 3)) & 0x7)
    }

    /// `actual` against `wanted` under VER_EQUAL (1) … VER_LESS_EQUAL (5).
    static func compare(_ actual: [UInt32], _ wanted: [UInt32], _ condition: UInt8) -> Bool {
        let order: Int = actual.lexicographicallyPrecedes(wanted) ? -1 : (actual == wanted ? 0 : 1)
        switch condition {
        case 1: return order == 0
        case 2: return order > 0
        case 3: return order >= 0
        case 4: return order < 0
        case 5: return order <= 0
        default: return false
        }
    }

    /// RtlVerifyVersionInfo(VersionInfo, TypeMask, ConditionMask): STATUS_SUCCESS when the modeled
    /// OS meets every requested condition, STATUS_REVISION_MISMATCH when not. Major, minor and
    /// service-pack numbers are compared as one version (the condition of the most significant
    /// one asked for applies), as Windows does.
    static func verifyVersionInfo(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, info = try call.arg(0), typeMask = try call.arg32(1), mask = try call.arg(2)
        guard info != 0, typeMask != 0, mask != 0 else { return UInt64(NTStatus.invalidParameter) }
        let major = try kernel.readU32(info &+ 4), minor = try kernel.readU32(info &+ 8)
        let build = try kernel.readU32(info &+ 0xC), platform = try kernel.readU32(info &+ 0x10)
        let spMajor = UInt32(try kernel.readU16(info &+ 0x114)), spMinor = UInt32(try kernel.readU16(info &+ 0x116))
        let suite = UInt32(try kernel.readU16(info &+ 0x118)), product = UInt32(try kernel.readU8(info &+ 0x11A))
        call.note("asks \(major).\(minor).\(build), mask 0x\(String(typeMask, radix: 16))")
        var ok = true
        // Major, minor, SP major, SP minor: one combined comparison.
        let versionFields: [(bit: UInt32, wanted: UInt32, actual: UInt32)] = [
            (0x2, major, OSVersion.major), (0x1, minor, OSVersion.minor),
            (0x20, spMajor, OSVersion.servicePackMajor), (0x10, spMinor, OSVersion.servicePackMinor),
        ]
        let asked = versionFields.filter { typeMask & $0.bit != 0 }
        if let first = asked.first {
            ok = ok && compare(asked.map(\.actual), asked.map(\.wanted), condition(mask, first.bit))
        }
        if typeMask & 0x4 != 0 { ok = ok && compare([OSVersion.build], [build], condition(mask, 0x4)) }
        if typeMask & 0x8 != 0 { ok = ok && compare([OSVersion.platform], [platform], condition(mask, 0x8)) }
        if typeMask & 0x80 != 0 { ok = ok && compare([OSVersion.productType], [product], condition(mask, 0x80)) }
        if typeMask & 0x40 != 0 {
            // VER_AND (6): every suite asked for; VER_OR (7): any of them.
            let have = OSVersion.suiteMask & suite
            ok = ok && (condition(mask, 0x40) == 7 ? have != 0 || suite == 0 : have == suite)
        }
        return UInt64(ok ? NTStatus.success : NTStatus.revisionMismatch)
    }

    /// memcpy_s / memmove_s(Destination, DestinationSize, Source, Count): 0, or EINVAL (22) for a
    /// NULL pointer and ERANGE (34) when Count exceeds DestinationSize — the destination is then
    /// zeroed, as the secure CRT documents.
    static func copySecure(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, destination = try call.arg(0), size = try call.arg(1)
        let source = try call.arg(2), count = try call.arg(3)
        guard count > 0 else { return 0 }
        guard destination != 0 else { return 22 }
        let clear = Int(min(size, UInt64(CRTArea.maxLength)))
        guard source != 0 else {
            try kernel.fill(destination, count: clear)
            return 22
        }
        guard count <= size else {
            try kernel.fill(destination, count: clear)
            return 34
        }
        let bytes = try kernel.readBytes(source, count: Int(min(count, UInt64(CRTArea.maxLength))))
        try kernel.writeBytes(destination, bytes)
        return 0
    }

    /// FsRtlGetFileSize(FileObject, *FileSize): the end-of-file of a file the driver opened (the
    /// file object ObReferenceObjectByHandle gave for its handle); STATUS_FILE_IS_A_DIRECTORY for
    /// a directory, STATUS_INVALID_DEVICE_REQUEST for file objects no file system of the model owns.
    static func fileSize(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, object = try call.arg(0), out = try call.arg(1)
        let model = try kernel.obModel()
        guard let handle = model.handleBodies.first(where: { $0.value == object })?.key,
              let file = kernel.handles.lookup(handle)?.payload as? FileArea.OpenFile else {
            return UInt64(NTStatus.invalidDeviceRequest)
        }
        guard !file.node.isDirectory else { return UInt64(AreaStatus.fileIsADirectory) }
        try kernel.writeU64(out, UInt64(file.node.data.count))
        call.note("\(file.node.name): \(file.node.data.count) bytes")
        return UInt64(NTStatus.success)
    }

    // MARK: Random numbers, UUIDs

    /// RtlRandom(Ex)/RtlUniform(Seed): the next value of the documented linear congruential
    /// generator modulo MAXLONG, stored back into *Seed and returned (always below 0x7FFFFFFF).
    static func random(_ call: KernelCall) throws -> UInt64 {
        let seed = try call.arg(0)
        let current = UInt64(try call.kernel.readU32(seed))
        let next = UInt32((current &* 0x7FFF_FFED &+ 0x7FFF_FFC3) % 0x7FFF_FFFF)
        try call.kernel.writeU32(seed, next)
        return UInt64(next)
    }

    /// BCryptGenRandom(Algorithm, Buffer, Count, Flags): fills Buffer with pseudo-random bytes
    /// (reproducible per run). Without an algorithm handle only BCRYPT_USE_SYSTEM_PREFERRED_RNG (2)
    /// is valid.
    static func genRandom(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, buffer = try call.arg(1), count = try call.arg32(2), flags = try call.arg32(3)
        guard try call.arg(0) != 0 || flags & 2 != 0 else { return UInt64(NTStatus.invalidHandle) }
        guard count <= 1 << 20, buffer != 0 || count == 0 else { return UInt64(NTStatus.invalidParameter) }
        let state = miscState(kernel)
        var bytes = [UInt8](repeating: 0, count: Int(count))
        for index in bytes.indices {
            state.uuidCounter &+= 0x9E37_79B9_7F4A_7C15
            var value = state.uuidCounter
            value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
            bytes[index] = UInt8(truncatingIfNeeded: value >> 40)
        }
        try kernel.writeBytes(buffer, bytes)
        return UInt64(NTStatus.success)
    }

    /// ExUuidCreate(Uuid): a version-4 (random) UUID, different on every call, reproducible per run.
    static func createUuid(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, out = try call.arg(0), state = miscState(kernel)
        state.uuidCounter &+= 1
        var bytes = [UInt8](repeating: 0, count: 16)
        var value = state.uuidCounter &* 0x9E37_79B9_7F4A_7C15
        for index in 0..<16 {
            value = (value ^ (value >> 29)) &* 0xBF58_476D_1CE4_E5B9
            bytes[index] = UInt8(truncatingIfNeeded: value >> 32)
        }
        bytes[7] = (bytes[7] & 0x0F) | 0x40 // Data3 high nibble: version 4 (little-endian USHORT)
        bytes[8] = (bytes[8] & 0x3F) | 0x80 // variant 10xx
        try kernel.writeBytes(out, bytes)
        return UInt64(NTStatus.success)
    }

    // MARK: Characters

    /// Windows-1252 characters 0x80–0x9F (the ANSI code page of an English system); the rest of
    /// the upper half maps to the same Unicode code point. Undefined ones map to themselves.
    static let cp1252High: [UInt16] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ]

    /// RtlAnsiCharToUnicodeChar(SourceCharacter: PUCHAR*): converts the character *SourceCharacter
    /// points at and advances the pointer past it.
    static func ansiCharToUnicode(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel, pointer = try call.arg(0)
        let source = try kernel.readU64(pointer)
        let byte = try kernel.readU8(source)
        try kernel.writeU64(pointer, source &+ 1)
        if (0x80...0x9F).contains(byte) { return UInt64(cp1252High[Int(byte) - 0x80]) }
        return UInt64(byte)
    }

    // MARK: Power, images

    /// PoSetPowerState(DeviceObject, Type, State): records a device's power state (DevicePowerState
    /// = 1) and returns the previous one (PowerDeviceD0 = 1 for a device never set).
    static func setPowerState(_ call: KernelCall) throws -> UInt64 {
        let device = try call.arg(0), type = try call.arg32(1), state = try call.arg32(2)
        guard type == 1 else { return UInt64(state) } // SystemPowerState: only the system changes it
        let power = miscState(call.kernel)
        let previous = power.devicePower[device] ?? 1
        if power.devicePower.count < 4096 || power.devicePower[device] != nil { power.devicePower[device] = state }
        call.note("D\(max(state, 1) - 1) (was D\(max(previous, 1) - 1))")
        return UInt64(previous)
    }

    /// The IMAGE_NT_HEADERS of the image mapped at `base`: "MZ", e_lfanew below 256 MiB, "PE\0\0".
    static func ntHeader(_ kernel: Kernel, base: UInt64) throws -> UInt64? {
        guard base != 0, (try? kernel.readU16(base)) == 0x5A4D, let offset = try? kernel.readU32(base &+ 0x3C),
              offset < 0x1000_0000, (try? kernel.readU32(base &+ UInt64(offset))) == 0x4550 else { return nil }
        return base &+ UInt64(offset)
    }
}
