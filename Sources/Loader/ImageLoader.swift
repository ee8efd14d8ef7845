import CPU
import Events
import Kernel
import Memory
import PEImage

/// Why an image could not be mapped. `refusedByCodeIntegrity` and
/// `relocationsStripped` are Windows' own refusals (the load fails, the driver
/// never runs; `status` is what ZwLoadDriver returns); the others are limits or
/// unsupported images.
public enum LoadError: Error, Sendable, CustomStringConvertible {
    case unsupportedMachine(String)
    case refusedByCodeIntegrity(reason: String)
    /// IMAGE_FILE_RELOCS_STRIPPED is set and the image cannot go to its preferred base.
    case relocationsStripped(preferredBase: UInt64)
    case relocation(String)
    case memory(String)

    public var description: String {
        switch self {
        case .unsupportedMachine(let machine): return "only x64 images are executed (this one is \(machine))"
        case .refusedByCodeIntegrity(let reason): return "Code Integrity refused the image: \(reason)"
        case .relocationsStripped(let base):
            return "relocations are stripped (IMAGE_FILE_RELOCS_STRIPPED) and the preferred base 0x\(String(base, radix: 16))"
                + " is not in system space; Windows refuses such a driver"
        case .relocation(let text): return "bad base relocation: \(text)"
        case .memory(let text): return "mapping the image failed: \(text)"
        }
    }

    /// The NTSTATUS the caller of ZwLoadDriver gets when Windows itself refuses the image
    /// (docs/load-rules.md: sources and certainty); nil for the tool's own limits.
    public var status: UInt32? {
        switch self {
        case .refusedByCodeIntegrity: return NTStatus.invalidImageHash
        case .relocationsStripped: return NTStatus.conflictingAddresses
        case .relocation: return NTStatus.invalidImageFormat
        case .unsupportedMachine, .memory: return nil
        }
    }
}

/// Maps a driver image the way the Windows loader does: headers and sections
/// at a system-space address (the kernel half, where Windows maps driver images),
/// base relocations applied, imports bound to the kernel model,
/// the /GS cookie initialised, and each section's rights decided by the Code
/// Integrity verifier (DESIGN.md §2.1–2.2).
public enum ImageLoader {
    /// Where every image goes (unless `preferredBase`): an address in the system-image range of
    /// the kernel half, as Windows picks one (fixed here so runs are deterministic).
    public static let systemImageBase: UInt64 = 0xFFFF_F806_4000_0000
    /// The value the loader puts in `__security_cookie` (any value but the default works;
    /// fixed so runs are deterministic; the top 16 bits are zero as on Windows).
    public static let securityCookie: UInt64 = 0x0000_5E1D_C0DE_4A7B

    /// `preferredBase`: map at the file's ImageBase instead (debugging; not what Windows does).
    /// `patching`: which code bytes are examined for encodings QEMU aborts on (`CodePatching`).
    public static func load(_ file: PEFile, name: String, kernel: Kernel, preferredBase: Bool = false,
                            patching: CodePatching = .reachablePaths) throws -> LoadedImage {
        guard file.machine == .amd64, file.is64Bit else { throw LoadError.unsupportedMachine(file.machine.description) }
        let memory = kernel.memory
        let hvci = memory.hvciEnabled
        let preferred = file.optionalHeader.imageBase
        let base = preferredBase ? preferred : systemImageBase
        try checkCodeIntegrity(file, hvci: hvci)
        // Windows' relocation step fails for a stripped image it cannot leave at its base; an image
        // without relocation entries but with the flag clear has nothing to apply and loads.
        if base != preferred, file.relocationsStripped { throw LoadError.relocationsStripped(preferredBase: preferred) }

        let layout = SectionLayout(file: file)
        var codeFrames: [PFN] = []
        do {
            for region in layout.regions {
                let allocation = try memory.allocate(pages: region.pages, owner: .imageSection(image: name, section: region.name),
                                                     rights: region.rights, at: base + region.rva)
                if region.rights.contains(.execute) { codeFrames += allocation.frames }
            }
            try memory.write(base, Array(file.reader.bytes.prefix(Int(file.optionalHeader.sizeOfHeaders))), mode: .privileged)
            for section in file.sections where section.sizeOfRawData > 0 {
                let count = Int(min(section.sizeOfRawData, section.mappedSize))
                let start = Int(section.pointerToRawData)
                try memory.write(base + UInt64(section.virtualAddress), Array(file.reader.bytes[start..<(start + count)]),
                                 mode: .privileged)
            }
        } catch {
            throw LoadError.memory(error.description)
        }
        if base != preferred { try applyRelocations(file, delta: base &- preferred, base: base, memory: memory) }
        try bindImports(file, base: base, kernel: kernel)
        try initialiseSecurityCookie(file, base: base, preferred: preferred, memory: memory)
        let sites = sweepCode(file, base: base, memory: memory, patching: patching)
        do {
            // Only now, with the bytes final, does CI verify the code and grant execute.
            if hvci { try memory.verifier.verifyImageCode(frames: codeFrames) }
        } catch {
            throw LoadError.memory("\(error)")
        }
        return LoadedImage(file: file, name: name, base: base, relocated: base != preferred, codeSites: sites)
    }

    /// With HVCI on, Windows refuses an image with a writable and executable
    /// section (other than INIT, which it loads with W stripped), with sections
    /// that are not page aligned, or with its IAT in an executable section (the
    /// loader could not write an IAT the hypervisor keeps read-execute). With
    /// HVCI off such images load.
    static func checkCodeIntegrity(_ file: PEFile, hvci: Bool) throws {
        guard hvci else { return }
        if let section = file.sections.first(where: { $0.isWritable && $0.isExecutable && $0.name != "INIT" }) {
            throw LoadError.refusedByCodeIntegrity(reason: "section \(section.name) is writable and executable (DV 0x2003)")
        }
        if !SectionLayout(file: file).isPageAligned {
            throw LoadError.refusedByCodeIntegrity(reason: "sections are not page aligned (DV 0x2004)")
        }
        if let iat = file.importAddressTablesInCode.first {
            throw LoadError.refusedByCodeIntegrity(
                reason: "the import address table (RVA 0x\(String(iat.rva, radix: 16))) is in executable section \(iat.section.name) (DV 0x2005)")
        }
    }

    /// Adds `delta` to every fixup (DIR64 and HIGHLOW; ABSOLUTE is padding). A fixup outside the
    /// image or of another type is a malformed image (STATUS_INVALID_IMAGE_FORMAT).
    static func applyRelocations(_ file: PEFile, delta: UInt64, base: UInt64, memory: MemoryModel) throws {
        let size = UInt64(file.optionalHeader.sizeOfImage)
        for block in file.relocations {
            for entry in block.entries where entry.type != Relocation.absolute {
                let rva = UInt64(block.pageRVA) + UInt64(entry.offset)
                let width: UInt64 = entry.type == Relocation.highLow ? 4 : 8
                guard rva + width <= size else {
                    throw LoadError.relocation("fixup at RVA 0x\(String(rva, radix: 16)) is outside the image")
                }
                let address = base &+ rva
                do {
                    switch entry.type {
                    case Relocation.dir64:
                        let value = try memory.readU64(address, mode: .privileged)
                        try memory.writeU64(address, value &+ delta, mode: .privileged)
                    case Relocation.highLow:
                        let value = try memory.readU32(address, mode: .privileged)
                        try memory.writeU32(address, value &+ UInt32(truncatingIfNeeded: delta), mode: .privileged)
                    default:
                        throw LoadError.relocation("type \(entry.type) at RVA 0x\(String(rva, radix: 16))")
                    }
                } catch let error as MemoryError {
                    throw LoadError.relocation("fixup at 0x\(String(address, radix: 16)): \(error)")
                }
            }
        }
    }

    /// Writes each import's kernel-model address into its IAT slot (delay
    /// imports are bound eagerly: the model has every module loaded).
    static func bindImports(_ file: PEFile, base: UInt64, kernel: Kernel) throws {
        for module in file.imports + file.delayImports {
            for function in module.functions {
                let target = try kernel.resolve(module: module.name, function: function.displayName)
                do {
                    try kernel.memory.writeU64(base &+ UInt64(function.iatRVA), target, mode: .privileged)
                } catch {
                    throw LoadError.memory("IAT slot of \(module.name)!\(function.displayName): \(error)")
                }
            }
        }
    }

    static func initialiseSecurityCookie(_ file: PEFile, base: UInt64, preferred: UInt64, memory: MemoryModel) throws {
        guard let cookieVA = file.loadConfig?.securityCookieVA, cookieVA != 0 else { return }
        let address = cookieVA &- preferred &+ base
        guard let current = try? memory.readU64(address, mode: .privileged) else { return }
        if current == LoadConfig.defaultSecurityCookie64 {
            try? memory.writeU64(address, securityCookie, mode: .privileged)
        }
    }
}
