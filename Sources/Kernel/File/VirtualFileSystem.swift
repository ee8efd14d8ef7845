/// One file or directory of the virtual volume C:.
final class FileNode {
    var name: String
    weak var parent: FileNode?
    let isDirectory: Bool
    var data: [UInt8] = []
    var attributes: UInt32
    var creationTime: UInt64
    var lastAccessTime: UInt64
    var lastWriteTime: UInt64
    var changeTime: UInt64
    let fileIndex: UInt64
    /// Children by upper-cased name.
    var children: [String: FileNode] = [:]
    /// Set once deleted: handles still open on it see STATUS_FILE_DELETED-like behaviour.
    var deleted = false
    /// The image file of a loaded driver: mapped as an image section, so Windows refuses to
    /// open it for writing (STATUS_SHARING_VIOLATION) and to delete it (STATUS_CANNOT_DELETE).
    var inUseAsImage = false

    init(name: String, parent: FileNode?, isDirectory: Bool, time: UInt64, index: UInt64) {
        self.name = name
        self.parent = parent
        self.isDirectory = isDirectory
        attributes = isDirectory ? 0x10 : 0x20 // FILE_ATTRIBUTE_DIRECTORY / _ARCHIVE
        creationTime = time
        lastAccessTime = time
        lastWriteTime = time
        changeTime = time
        fileIndex = index
    }

    /// "\Windows\System32\drivers\x.sys" (the volume-relative name FileNameInformation returns).
    var volumePath: String {
        var parts: [String] = []
        var node: FileNode? = self
        while let n = node, let parent = n.parent, parts.count < VirtualFileSystem.maxDepth + 1 { parts.append(n.name); node = parent }
        return "\\" + parts.reversed().joined(separator: "\\")
    }

    var sortedChildren: [FileNode] {
        children.sorted { Array($0.key.utf16).lexicographicallyPrecedes(Array($1.key.utf16)) }.map(\.value)
    }
}

/// The in-memory file namespace the file DDIs work on: one NTFS-like volume, C:,
/// reachable as `\??\C:\…`, `\DosDevices\C:\…`, `\GLOBAL??\C:\…`, `\SystemRoot\…`
/// and `\Device\HarddiskVolumeN\…`. Nothing is read from or written to the host.
/// Seeded with the usual directories only (see docs/registry.md, "Files").
final class VirtualFileSystem {
    static let maxFileSize = 64 << 20
    static let maxTotalBytes = 256 << 20
    static let maxNodes = 100_000
    static let maxDepth = 256
    static let maxComponentLength = 255
    /// The device object of volume C: (what file objects' names begin with).
    static let volumeDevice = "\\Device\\HarddiskVolume3"

    let root: FileNode
    private(set) var totalBytes = 0
    private(set) var nodeCount = 1
    private var clock = VirtualRegistry.baseTime
    private var nextIndex: UInt64 = 5

    init() {
        root = FileNode(name: "", parent: nil, isDirectory: true, time: VirtualRegistry.baseTime, index: 5)
        for path in ["Windows", "Windows\\System32", "Windows\\System32\\drivers", "Windows\\System32\\config",
                     "Windows\\System32\\LogFiles", "Windows\\Temp", "Windows\\INF", "Program Files", "ProgramData",
                     "Users", "Users\\Public"] {
            _ = try? createPath(path.split(separator: "\\").map(String.init))
        }
    }

    /// Puts a loaded driver's image file at `\Windows\System32\drivers\<name>` (what the service's
    /// ImagePath, `\SystemRoot\System32\drivers\<name>`, names), with its bytes, in use as an image.
    @discardableResult
    func addDriverImage(name: String, bytes: [UInt8]) -> FileNode? {
        guard !bytes.isEmpty, bytes.count <= Self.maxFileSize,
              let parts = try? Self.components(ofRelative: "Windows\\System32\\drivers\\" + name),
              let directory = try? parent(of: parts), let last = parts.last, find(parts) == nil,
              let node = try? create(last, in: directory, directory: false, attributes: 0) else { return nil }
        node.data = bytes
        totalBytes += bytes.count
        node.inUseAsImage = true
        return node
    }

    func tick() -> UInt64 {
        clock &+= 1
        return clock
    }

    static func fold(_ name: String) -> String { name.uppercased() }

    enum PathError: Error {
        case status(UInt32)
    }

    /// An NT path → the components under the volume root (nil components: the volume itself).
    static func components(ofNT path: String) throws(PathError) -> [String] {
        let folded = fold(path)
        var rest: Substring
        if folded.hasPrefix("\\SYSTEMROOT") && (folded.count == 11 || folded.dropFirst(11).hasPrefix("\\")) {
            rest = "\\Windows" + path.dropFirst(11)
        } else if let volume = ["\\??\\", "\\DOSDEVICES\\", "\\GLOBAL??\\"].first(where: { folded.hasPrefix($0) }) {
            let afterPrefix = path.dropFirst(volume.count)
            guard afterPrefix.count >= 2, afterPrefix.dropFirst().first == ":" else { throw .status(NTStatus.objectPathNotFound) }
            guard fold(String(afterPrefix.prefix(1))) == "C" else { throw .status(NTStatus.objectPathNotFound) }
            rest = afterPrefix.dropFirst(2)
        } else if folded.hasPrefix("\\DEVICE\\HARDDISKVOLUME") {
            let after = path.dropFirst("\\Device\\HarddiskVolume".count)
            let digits = after.prefix { $0.isNumber }
            guard !digits.isEmpty else { throw .status(NTStatus.objectPathNotFound) }
            rest = after.dropFirst(digits.count)
        } else {
            throw .status(NTStatus.objectPathNotFound)
        }
        guard rest.isEmpty || rest.hasPrefix("\\") else { throw .status(NTStatus.objectNameInvalid) }
        return try components(ofRelative: String(rest.drop { $0 == "\\" }))
    }

    /// Components of a path relative to a directory; NTFS rejects `.`/`..`, wildcards and `<>:"|` in names.
    static func components(ofRelative path: String) throws(PathError) -> [String] {
        var parts = path.split(separator: "\\", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        guard parts.count <= maxDepth else { throw .status(NTStatus.objectNameInvalid) }
        for part in parts {
            guard !part.isEmpty, part != ".", part != "..", part.utf16.count <= maxComponentLength,
                  !part.unicodeScalars.contains(where: { $0.value < 0x20 || "<>:\"|?*/".unicodeScalars.contains($0) }) else {
                throw .status(NTStatus.objectNameInvalid)
            }
        }
        return parts
    }

    func find(_ components: [String], from base: FileNode? = nil) -> FileNode? {
        var node = base ?? root
        for component in components {
            guard node.isDirectory, let next = node.children[Self.fold(component)] else { return nil }
            node = next
        }
        return node.deleted ? nil : node
    }

    /// The parent directory of the last component (STATUS_OBJECT_PATH_NOT_FOUND when missing).
    func parent(of components: [String], from base: FileNode? = nil) throws(PathError) -> FileNode {
        guard let parent = find(Array(components.dropLast()), from: base) else { throw .status(NTStatus.objectPathNotFound) }
        guard parent.isDirectory else { throw .status(NTStatus.objectPathNotFound) }
        return parent
    }

    func create(_ name: String, in parent: FileNode, directory: Bool, attributes: UInt32) throws(PathError) -> FileNode {
        guard nodeCount < Self.maxNodes else { throw .status(NTStatus.insufficientResources) }
        nextIndex &+= 1
        let node = FileNode(name: name, parent: parent, isDirectory: directory, time: tick(), index: nextIndex)
        if attributes & 0x7 != 0 || attributes & 0x2000 != 0 { node.attributes = (node.attributes | attributes) & 0x3_7FB7 }
        parent.children[Self.fold(name)] = node
        parent.lastWriteTime = node.creationTime
        nodeCount += 1
        return node
    }

    @discardableResult
    func createPath(_ components: [String]) throws(PathError) -> FileNode {
        var node = root
        for component in components {
            if let next = node.children[Self.fold(component)] { node = next; continue }
            node = try create(component, in: node, directory: true, attributes: 0)
        }
        return node
    }

    func delete(_ node: FileNode) throws(PathError) {
        guard let parent = node.parent, !node.inUseAsImage else { throw .status(AreaStatus.cannotDelete) }
        guard node.children.isEmpty else { throw .status(AreaStatus.directoryNotEmpty) }
        parent.children[Self.fold(node.name)] = nil
        parent.lastWriteTime = tick()
        totalBytes -= node.data.count
        node.data = []
        node.deleted = true
        nodeCount -= 1
    }

    /// Resizes a file's data (STATUS_DISK_FULL past the per-file or total cap).
    func resize(_ node: FileNode, to size: Int) throws(PathError) {
        guard size >= 0, size <= Self.maxFileSize, totalBytes - node.data.count + size <= Self.maxTotalBytes else {
            throw .status(AreaStatus.diskFull)
        }
        totalBytes += size - node.data.count
        if size < node.data.count {
            node.data.removeSubrange(size...)
        } else if size > node.data.count {
            node.data += [UInt8](repeating: 0, count: size - node.data.count)
        }
    }

    func write(_ node: FileNode, at offset: Int, _ bytes: [UInt8]) throws(PathError) {
        guard offset >= 0, offset <= Self.maxFileSize, bytes.count <= Self.maxFileSize - offset else { throw .status(AreaStatus.diskFull) }
        let end = offset + bytes.count
        if end > node.data.count { try resize(node, to: end) }
        node.data.replaceSubrange(offset..<end, with: bytes)
        node.lastWriteTime = tick()
        node.changeTime = node.lastWriteTime
    }

    var freeBytes: Int { Self.maxTotalBytes - totalBytes }
}
