#if canImport(Glibc)
import Glibc
private let systemRead = Glibc.read
#elseif canImport(Darwin)
import Darwin
private let systemRead = Darwin.read
#endif
import PEImage

/// Reading the files named on the command line, with the limits a hostile
/// input cannot push past.
enum InputFiles {
    /// Larger files are refused before they are read (PEFile accepts images up to 1 GiB).
    static let maxFileSize = 1 << 30

    static func isDirectory(_ path: String) -> Bool { SystemIO.isDirectory(path) }

    /// Files as given, with each folder replaced by the .sys files below it (sorted).
    static func expand(_ paths: [String]) throws -> [String] {
        try paths.flatMap { path -> [String] in
            guard isDirectory(path) else { return [path] }
            let folder = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
            guard let files = SystemIO.filesBelow(folder) else {
                throw SystemIOError(reason: "cannot list folder \(path)")
            }
            let base = path.hasSuffix("/") ? path : path + "/"
            return files
                .filter { $0.lowercased().hasSuffix(".sys") }
                .sorted()
                .map { base + $0 }
        }
    }

    /// The file's bytes, read once: one open, one fstat (type and size), then
    /// reads straight into the array. The messages are those of the earlier
    /// stat-then-read version.
    static func read(_ path: String, expectingPE: Bool = true) throws -> [UInt8] {
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw unopenable(path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw PEError.unreadable(path: path, reason: "no such file or not accessible") }
        if st.st_mode & S_IFMT == S_IFDIR {
            throw PEError.unreadable(path: path, reason: "is a folder")
        }
        if Int(st.st_size) > maxFileSize {
            throw PEError.unreadable(path: path, reason: "larger than 1 GiB")
        }
        let bytes: [UInt8]?
        switch st.st_mode & S_IFMT {
        case S_IFREG where st.st_size > 0:
            if expectingPE { try refuseEarlyIfNotPE(fd, size: Int(st.st_size), path: path) }
            bytes = readExactly(fd, count: Int(st.st_size))
        case S_IFREG:
            bytes = try readToEnd(fd, path: path)  // a /proc file: no size up front
        default:
            // A FIFO, device or socket: reading one could block forever or never end.
            throw PEError.unreadable(path: path, reason: "is not a regular file (\(fileKind(st.st_mode)))")
        }
        guard let bytes else { throw PEError.unreadable(path: path, reason: "could not be read") }
        return bytes
    }

    /// A report, baseline or manifest (JSON or YAML): read with the same checks and cap as
    /// a driver, without the early PE test.
    static func readText(_ path: String) throws -> [UInt8] {
        try read(path, expectingPE: false)
    }

    static func fileKind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "not a plain file"
        }
    }

    /// Files larger than this are read whole only once their headers look like a PE image.
    static let earlyCheckSize = 1 << 20

    /// Reads the DOS header (and the PE signature it points to) of a large file before
    /// reading the rest, so that a 200 MB file that is not a driver is refused at once.
    /// The message is the parser's own (PEFile reports the same thing for small files).
    private static func refuseEarlyIfNotPE(_ fd: Int32, size: Int, path: String) throws {
        guard size > earlyCheckSize else { return }
        var header = [UInt8](repeating: 0, count: 0x40)
        guard header.withUnsafeMutableBytes({ pread(fd, $0.baseAddress!, 0x40, 0) }) == 0x40,
              header[0] == 0x4D, header[1] == 0x5A else {
            throw PEError.unreadable(path: path, reason: "not a PE image (no MZ signature at offset 0)")
        }
        let lfanew = Int(header[0x3C]) | Int(header[0x3D]) << 8 | Int(header[0x3E]) << 16 | Int(header[0x3F]) << 24
        var signature = [UInt8](repeating: 0, count: 4)
        guard lfanew <= size - 4,
              signature.withUnsafeMutableBytes({ pread(fd, $0.baseAddress!, 4, off_t(lfanew)) }) == 4,
              signature == [0x50, 0x45, 0, 0] else {
            throw PEError.unreadable(path: path, reason: "not a PE image (no PE signature where e_lfanew points)")
        }
    }

    /// Why `open` failed, told as the stat-based checks told it.
    private static func unopenable(_ path: String) -> PEError {
        var st = stat()
        guard lstat(path, &st) == 0 else { return .unreadable(path: path, reason: "no such file or not accessible") }
        if st.st_mode & S_IFMT == S_IFDIR { return .unreadable(path: path, reason: "is a folder") }
        if Int(st.st_size) > maxFileSize { return .unreadable(path: path, reason: "larger than 1 GiB") }
        return .unreadable(path: path, reason: "could not be read")
    }

    /// `count` bytes, or fewer if the file shrank meanwhile; nil on a read error.
    private static func readExactly(_ fd: Int32, count: Int) -> [UInt8]? {
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count {
                let n = systemRead(fd, buffer.baseAddress! + done, count - done)
                if n > 0 {
                    done += n
                } else if n == 0 {
                    break
                } else if errno != EINTR {
                    failed = true
                    break
                }
            }
            initialized = done
        }
        return failed ? nil : bytes
    }

    /// Everything up to end of file (more than maxFileSize bytes is refused); nil on a read error.
    private static func readToEnd(_ fd: Int32, path: String) throws -> [UInt8]? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress!, $0.count) }
            if n > 0 {
                bytes.append(contentsOf: chunk[..<n])
                if bytes.count > maxFileSize { throw PEError.unreadable(path: path, reason: "larger than 1 GiB") }
            } else if n == 0 {
                return bytes
            } else if errno != EINTR {
                return nil
            }
        }
    }
}

/// Where a report goes: standard output, or a file written atomically so a
/// crashed run never leaves half a report behind.
enum OutputSink {
    static func write(_ text: String, to path: String?) throws {
        let payload = text.hasSuffix("\n") || text.isEmpty ? text : text + "\n"
        guard let path else {
            // A reader that went away (`| head`) ends the output quietly; any other failure
            // (a full disk behind `>`) loses the report, so it is an error (exit status 2).
            if let failure = SystemIO.writeAll(payload, to: 1), failure != EPIPE {
                throw SystemIOError(reason: "cannot write the report to standard output: \(String(cString: strerror(failure)))")
            }
            return
        }
        do {
            try SystemIO.writeAtomically(payload, to: path)
        } catch {
            throw SystemIOError(reason: "cannot write \(path): \(error)")
        }
    }
}
