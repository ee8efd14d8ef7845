import CCapstone
#if canImport(Glibc)
import Glibc
#endif

/// Debian's libcapstone, opened on first use. Loading it at start-up would
/// cost every run ~4.8 MiB of resident memory for its relocated tables, and
/// only fault reports and traces disassemble; so the library is not linked
/// but opened with dlopen, and the four entry points used are looked up once.
struct CapstoneLibrary: @unchecked Sendable {
    typealias Open = @convention(c) (cs_arch, cs_mode, UnsafeMutablePointer<csh>?) -> cs_err
    typealias Disasm = @convention(c) (csh, UnsafePointer<UInt8>?, Int, UInt64, Int,
                                       UnsafeMutablePointer<UnsafeMutablePointer<cs_insn>?>?) -> Int
    typealias Free = @convention(c) (UnsafeMutablePointer<cs_insn>?, Int) -> Void
    typealias Close = @convention(c) (UnsafeMutablePointer<csh>?) -> cs_err

    let open: Open
    let disasm: Disasm
    let free: Free
    let close: Close

    /// The shared object names tried in order: the runtime package's soname, then the -dev symlink.
    static let candidates = ["libcapstone.so.4", "libcapstone.so.5", "libcapstone.so"]

    /// The loaded library, or why it could not be loaded (once per process).
    static let shared: Result<CapstoneLibrary, EngineError> = load()

    private static func load() -> Result<CapstoneLibrary, EngineError> {
        guard let handle = candidates.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_LOCAL) }).first else {
            let reason = dlerror().map { String(cString: $0) } ?? "not found"
            return .failure(.disassembly("cannot load Capstone (\(candidates.joined(separator: ", "))): \(reason)"))
        }
        func symbol<T>(_ name: String, as type: T.Type) -> T? {
            dlsym(handle, name).map { unsafeBitCast($0, to: type) }
        }
        guard let open = symbol("cs_open", as: Open.self),
              let disasm = symbol("cs_disasm", as: Disasm.self),
              let free = symbol("cs_free", as: Free.self),
              let close = symbol("cs_close", as: Close.self) else {
            return .failure(.disassembly("Capstone library lacks cs_open/cs_disasm/cs_free/cs_close"))
        }
        return .success(CapstoneLibrary(open: open, disasm: disasm, free: free, close: close))
    }
}
