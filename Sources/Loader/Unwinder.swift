import CPU
import Kernel
import PEImage

/// Virtual unwinding of a loaded driver image, as Windows' RtlVirtualUnwind
/// does it from the image's .pdata / UNWIND_INFO (the core is
/// `Kernel.X64Unwind`, shared with the kernel model's exception dispatcher).
///
/// ```swift
/// let unwinder = Unwinder(image: image, kernel: kernel)
/// let frames = unwinder.callStack(rip: rip, rsp: rsp, registers: try kernel.currentContext())
/// ```
///
/// Epilogues are detected by decoding the code at RIP (`add rsp`/`lea rsp`,
/// pops, `ret` or a tail `jmp`), as Windows does; version-2 UWOP_EPILOG codes are
/// accepted and skipped. Functions without a .pdata entry are leaves (return
/// address at [RSP]).
public struct Unwinder {
    public let image: LoadedImage
    let read: X64Unwind.Reader
    public static let maxFrames = 32

    /// `read` reads guest memory (bounds-checked: throw on unmapped bytes).
    public init(image: LoadedImage, read: @escaping X64Unwind.Reader) {
        self.image = image
        self.read = read
    }

    /// Reads guest memory through the kernel model's accessors.
    public init(image: LoadedImage, kernel: Kernel) {
        self.init(image: image, read: { [unowned kernel] address, count in try kernel.readBytes(address, count: count) })
    }

    /// The .pdata entry holding `address`, with the guest address of the entry itself.
    public func functionEntry(containing address: UInt64) -> X64FunctionEntry? {
        guard image.contains(address) else { return nil }
        let rva = UInt32(truncatingIfNeeded: address - image.base)
        let functions = image.file.runtimeFunctions
        var low = 0, high = functions.count
        while low < high {
            let mid = (low + high) / 2
            let f = functions[mid]
            if rva < f.beginAddress {
                high = mid
            } else if rva >= f.endAddress {
                low = mid + 1
            } else {
                let directory = image.file.optionalHeader.directory(.exception)
                return X64FunctionEntry(imageBase: image.base, imageSize: image.size, beginAddress: f.beginAddress,
                                        endAddress: f.endAddress, unwindInfoAddress: f.unwindInfoAddress,
                                        entryAddress: image.base &+ UInt64(directory.rva) &+ UInt64(12 * mid))
            }
        }
        return nil
    }

    /// The image and function holding `address` (function nil: a leaf of this image); nil outside the image.
    public func imageHit(_ address: UInt64) -> X64ImageHit? {
        guard image.contains(address) else { return nil }
        return X64ImageHit(imageBase: image.base, imageSize: image.size, function: functionEntry(containing: address))
    }

    /// One unwind step from `context` (its RIP in this image): the caller's context, the
    /// establisher frame and, for `handlerType` EHANDLER (1) / UHANDLER (2), the frame's handler.
    public func virtualUnwind(_ context: X64Context, handlerType: UInt8 = 0) throws -> X64UnwindStep {
        try X64Unwind.virtualUnwind(function: functionEntry(containing: context.rip), context: context,
                                    handlerType: handlerType, read: read)
    }

    /// The driver's call stack, innermost first: `rip` (when it is in the image's code), then
    /// each caller's return address while they are in the image, at most `maxFrames`.
    /// Where unwinding fails (no readable stack, corrupt unwind data, a stack that does not
    /// grow), the rest comes from `fallback` (a stack scan from the RSP reached).
    public func callStack(rip: UInt64, rsp: UInt64, registers: X64Context,
                          fallback: ((UInt64) -> [UInt64])? = nil, maxFrames: Int = Unwinder.maxFrames) -> [UInt64] {
        var context = registers
        context.rip = rip
        context.rsp = rsp
        guard image.isCode(rip) else { return Array((fallback?(rsp) ?? []).prefix(maxFrames)) }
        let result = X64Unwind.callStack(from: context, maxFrames: maxFrames, lookup: { functionEntry(containing: $0) },
                                         isCode: { image.isCode($0) }, read: read)
        guard result.failed, let fallback else { return result.frames }
        let rest = fallback(result.last.rsp).filter { $0 != result.frames.last }
        return Array((result.frames + rest).prefix(maxFrames))
    }

    /// Hooks the image up to the kernel model: exception dispatch finds its .pdata
    /// (`kernel.exceptionImageLookup`) and `kernel.callStack` unwinds precisely,
    /// with `fallback` (a stack scan) where unwinding fails.
    public static func attach(_ image: LoadedImage, to kernel: Kernel, fallback: @escaping (UInt64) -> [UInt64]) {
        let unwinder = Unwinder(image: image, kernel: kernel)
        kernel.exceptionImageLookup = { unwinder.imageHit($0) }
        kernel.callStack = { [unowned kernel] rip, rsp in
            let registers = (try? kernel.currentContext()) ?? X64Context()
            return unwinder.callStack(rip: rip, rsp: rsp, registers: registers, fallback: fallback)
        }
    }
}
