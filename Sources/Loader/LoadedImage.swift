import Memory
import PEImage

/// A driver image mapped into guest memory.
public struct LoadedImage: Sendable {
    public let file: PEFile
    /// The file name, as reports name the module ("foo.sys").
    public let name: String
    public let base: UInt64
    public var size: UInt64 { UInt64(file.optionalHeader.sizeOfImage) }
    public var entryPoint: UInt64 { base &+ UInt64(file.optionalHeader.addressOfEntryPoint) }
    /// Whether relocations were applied (the image is not at its preferred base).
    public let relocated: Bool
    /// Special instructions found along the image's known code paths, in address order; the
    /// ones QEMU cannot translate are already replaced by `ud2` (see `ImageLoader.sweepCode`).
    public var codeSites: [InstructionSite] = []

    public func contains(_ address: UInt64) -> Bool { address >= base && address - base < size }

    /// The section holding `address`, if it is inside the image.
    public func section(at address: UInt64) -> Section? {
        guard contains(address) else { return nil }
        return file.section(containing: address - base)
    }

    /// Whether `address` is in one of the image's executable sections.
    public func isCode(_ address: UInt64) -> Bool { section(at: address)?.isExecutable ?? false }

    /// `foo.sys!.text+0x1a2 (DriverEntry+0x32)`; nil outside the image.
    public func symbolize(_ address: UInt64) -> String? {
        guard contains(address) else { return nil }
        let rva = address - base
        var text: String
        if let section = file.section(containing: rva) {
            text = "\(name)!\(section.name)+0x\(String(rva - UInt64(section.virtualAddress), radix: 16))"
        } else {
            text = "\(name)+0x\(String(rva, radix: 16))"
        }
        if let function = file.runtimeFunction(containing: UInt32(truncatingIfNeeded: rva)) {
            text += " (\(functionName(startingAt: function.beginAddress))+0x\(String(UInt32(rva) - function.beginAddress, radix: 16)))"
        }
        return text
    }

    /// A name for the function at `rva`: an export's name, DriverEntry for the
    /// entry point, else `sub_<rva>` as disassemblers name unknown functions.
    public func functionName(startingAt rva: UInt32) -> String {
        if rva == file.optionalHeader.addressOfEntryPoint { return "DriverEntry" }
        if let export = file.exports?.functions.first(where: { $0.rva == rva && $0.name != nil }), let name = export.name {
            return name
        }
        return "sub_\(String(rva, radix: 16))"
    }
}
