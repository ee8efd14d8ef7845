import ArgumentParser
import Foundation
import PEImage

/// Reading the files named on the command line, with the limits a hostile
/// input cannot push past.
enum InputFiles {
    /// Larger files are refused before they are read (PEFile accepts images up to 1 GiB).
    static let maxFileSize = 1 << 30

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Files as given, with each folder replaced by the .sys files below it (sorted).
    static func expand(_ paths: [String]) throws -> [String] {
        try paths.flatMap { path -> [String] in
            guard isDirectory(path) else { return [path] }
            guard let walker = FileManager.default.enumerator(atPath: path) else {
                throw ValidationError("cannot list folder \(path)")
            }
            let base = path.hasSuffix("/") ? path : path + "/"
            return walker.compactMap { $0 as? String }
                .filter { $0.lowercased().hasSuffix(".sys") }
                .sorted()
                .map { base + $0 }
        }
    }

    static func read(_ path: String) throws -> [UInt8] {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw PEError.unreadable(path: path, reason: "no such file or not accessible")
        }
        if attributes[.type] as? FileAttributeType == .typeDirectory {
            throw PEError.unreadable(path: path, reason: "is a folder")
        }
        if let size = attributes[.size] as? Int, size > maxFileSize {
            throw PEError.unreadable(path: path, reason: "larger than 1 GiB")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PEError.unreadable(path: path, reason: "could not be read")
        }
        return [UInt8](data)
    }
}

/// Where a report goes: standard output, or a file written atomically so a
/// crashed run never leaves half a report behind.
enum OutputSink {
    static func write(_ text: String, to path: String?) throws {
        let payload = text.hasSuffix("\n") || text.isEmpty ? text : text + "\n"
        guard let path else {
            FileHandle.standardOutput.write(payload)
            return
        }
        do {
            try payload.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw ValidationError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}

extension FileHandle {
    func write(_ string: String) { write(Data(string.utf8)) }
}
