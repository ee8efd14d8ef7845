#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole host file (seed files only: the guest never reaches the host).
enum HostFile {
    static let maxSize = 64 << 20

    static func read(_ path: String) throws(RegistrySeedError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw .cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count > 0 { bytes += chunk[0..<count] }
            if bytes.count > maxSize { throw .cannotRead(path: path, reason: "larger than \(maxSize) bytes") }
            if count < chunk.count {
                if ferror(file) != 0 { throw .cannotRead(path: path, reason: "read error") }
                break
            }
        }
        return bytes
    }
}
