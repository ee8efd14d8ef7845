#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Harness

/// The few file-system and console calls the CLI needs, on the C library
/// directly. The tool avoids Foundation on purpose: linking it costs ~9 MiB
/// of resident memory at start-up, more than the rest of a run.
enum SystemIO {
    /// Writes `text` to a file descriptor in full (retrying short writes and EINTR).
    static func write(_ text: String, to fd: Int32) {
        _ = writeAll(text, to: fd)
    }

    /// One line (newline added) on standard error.
    static func printError(_ line: String) {
        write(line + "\n", to: 2)
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// Paths of the regular files below `folder` (recursively, symbolic links
    /// to folders not followed), relative to it. Nil if `folder` cannot be listed.
    static func filesBelow(_ folder: String) -> [String]? {
        guard let top = opendir(folder) else { return nil }
        closedir(top)
        var found: [String] = []
        var pending = [""]
        var visited = 0
        while let relative = pending.popLast(), visited < 100_000 {
            visited += 1
            let full = relative.isEmpty ? folder : folder + "/" + relative
            guard let dir = opendir(full) else { continue }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name == "." || name == ".." { continue }
                let path = relative.isEmpty ? name : relative + "/" + name
                var st = stat()
                guard lstat(full + "/" + name, &st) == 0 else { continue }
                switch st.st_mode & S_IFMT {
                case S_IFDIR: pending.append(path)
                case S_IFREG: found.append(path)
                case S_IFLNK:
                    // A link to a file counts; a link to a folder is not followed (no cycles).
                    if stat(full + "/" + name, &st) == 0, st.st_mode & S_IFMT == S_IFREG { found.append(path) }
                default: break
                }
            }
        }
        return found
    }

    /// Writes `text` to `path` through a temporary file in the same folder and
    /// a rename, so a reader never sees half a file. Throws a one-line reason.
    /// A path that exists as anything but a regular file (/dev/null, a FIFO,
    /// a symbolic link) is written in place instead: renaming over it would
    /// replace the device or the link with a plain file.
    static func writeAtomically(_ text: String, to path: String) throws(SystemIOError) {
        var st = stat()
        if lstat(path, &st) == 0, st.st_mode & S_IFMT != S_IFREG {
            try writeInPlace(text, to: path)
            return
        }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array((folder + "/.\(base).XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SystemIOError(reason: String(cString: strerror(errno))) }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let failure = writeAll(text, to: fd)
        // mkstemp creates 0600; a report is an ordinary file (0644 less the umask).
        let mask = umask(0)
        umask(mask)
        fchmod(fd, 0o666 & ~mask)
        close(fd)
        if let failure {
            unlink(temporary)
            throw SystemIOError(reason: String(cString: strerror(failure)))
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SystemIOError(reason: reason)
        }
    }

    private static func writeInPlace(_ text: String, to path: String) throws(SystemIOError) {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { throw SystemIOError(reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        if let failure = writeAll(text, to: fd) { throw SystemIOError(reason: String(cString: strerror(failure))) }
    }

    /// Writes all of `text`; the errno of a failed write, nil on success.
    static func writeAll(_ text: String, to fd: Int32) -> Int32? {
        Supervisor.writeAll(text, to: fd)
    }

    /// The last component of a path ("a/b/c.sys" → "c.sys").
    static func lastComponent(_ path: String) -> String {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        return trimmed.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? trimmed
    }
}

struct SystemIOError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
