import Testing
@testable import Kernel

extension KernelHarness {
    /// ZwCreateFile(handle, access, oa, iosb, 0, attributes, share, disposition, options, 0, 0).
    func createFile(_ path: String, disposition: UInt32, options: UInt32 = 0x20, access: UInt32 = 0xC000_0000)
        throws -> (status: UInt32, handle: UInt64, information: UInt64) {
        let out = try buffer(8), iosb = try buffer(16)
        let status = UInt32(truncatingIfNeeded: try call("ZwCreateFile", out, UInt64(access), try objectAttributes(self, path), iosb, 0, 0x80, 0,
                                                         UInt64(disposition), UInt64(options), 0, 0))
        return (status, try kernel.readU64(out), try kernel.readU64(iosb + 8))
    }
}

struct FileTests {
    /// The loaded driver's own file is where its service's ImagePath says, with its bytes, and
    /// in use as an image: readable, not writable, not deletable.
    @Test func theDriversImageFileIsInSystem32DriversReadOnly() throws {
        let image: [UInt8] = [0x4D, 0x5A] + (0..<0x1FE).map { UInt8(truncatingIfNeeded: $0) }
        let h = try KernelHarness(driverImage: image)
        let opened = try h.createFile("\\SystemRoot\\System32\\drivers\\test.sys", disposition: 1, access: 0x8010_0000)
        #expect(opened.status == NTStatus.success && opened.information == 1)
        let iosb = try h.buffer(16), info = try h.buffer(0x18), out = try h.buffer(0x400)
        #expect(try h.call("ZwQueryInformationFile", opened.handle, iosb, info, 0x18, 5) == 0) // FileStandardInformation
        #expect(try h.kernel.readU64(info + 8) == UInt64(image.count))                         // EndOfFile
        #expect(try h.call("ZwReadFile", opened.handle, 0, 0, 0, iosb, out, 0x400, 0, 0) == 0)
        #expect(try h.kernel.readU64(iosb + 8) == UInt64(image.count))
        #expect(try h.kernel.readBytes(out, count: image.count) == image)
        // The same file through the DOS name of the volume.
        #expect(try h.createFile("\\??\\C:\\Windows\\System32\\drivers\\TEST.SYS", disposition: 1, access: 0x8000_0000).status == 0)
        #expect(try h.createFile("\\??\\C:\\Windows\\System32\\drivers\\test.sys", disposition: 1).status == 0xC000_0043)
        #expect(try h.createFile("\\SystemRoot\\System32\\drivers\\test.sys", disposition: 5, access: 0x8000_0000).status == 0xC000_0043)
        let attributes = try objectAttributes(h, "\\SystemRoot\\System32\\drivers\\test.sys")
        #expect(UInt32(try h.call("ZwDeleteFile", attributes)) == AreaStatus.cannotDelete)
        // Its FILE_OBJECT is named as on Windows: the volume's device, then the path on the volume.
        let object = try h.buffer(8), name = try h.buffer(0x200), returned = try h.buffer(4)
        #expect(try h.call("ObReferenceObjectByHandle", opened.handle, 0, 0, 0, object, 0) == 0)
        let file = try h.kernel.readU64(object)
        #expect(try h.kernel.readU16(file) == Layout.FileObject.typeValue)
        #expect(try h.kernel.readUnicodeString(file + UInt64(Layout.FileObject.fileName)) == "\\Windows\\System32\\drivers\\test.sys")
        #expect(try h.call("ObQueryNameString", file, name, 0x200, returned) == 0)
        #expect(try h.kernel.readUnicodeString(name) == "\\Device\\HarddiskVolume3\\Windows\\System32\\drivers\\test.sys")
        // Without the image bytes (a unit test's kernel) there is no such file.
        let bare = try KernelHarness()
        #expect(try bare.createFile("\\SystemRoot\\System32\\drivers\\test.sys", disposition: 1).status == NTStatus.objectNameNotFound)
    }

    @Test func dispositionsFollowTheDocumentation() throws {
        let h = try KernelHarness()
        let path = "\\??\\C:\\Windows\\Temp\\log.txt"
        #expect(try h.createFile(path, disposition: 1).status == NTStatus.objectNameNotFound)        // FILE_OPEN
        #expect(try h.createFile("\\??\\C:\\NoDir\\x.txt", disposition: 2).status == NTStatus.objectPathNotFound)
        let created = try h.createFile(path, disposition: 2)                                          // FILE_CREATE
        #expect(created.status == 0 && created.information == 2)                                      // FILE_CREATED
        #expect(try h.createFile(path, disposition: 2).status == NTStatus.objectNameCollision)
        let opened = try h.createFile("\\DosDevices\\c:\\WINDOWS\\temp\\LOG.TXT", disposition: 3)       // FILE_OPEN_IF
        #expect(opened.status == 0 && opened.information == 1)                                        // FILE_OPENED
        let overwritten = try h.createFile("\\SystemRoot\\Temp\\log.txt", disposition: 5)              // FILE_OVERWRITE_IF
        #expect(overwritten.status == 0 && overwritten.information == 3)                              // FILE_OVERWRITTEN
        #expect(try h.createFile("\\??\\C:\\Windows", disposition: 1, options: 0x40).status == AreaStatus.fileIsADirectory)
        #expect(try h.createFile(path, disposition: 1, options: 0x1).status == AreaStatus.notADirectory)
    }

    @Test func writeReadPositionAndEndOfFile() throws {
        let h = try KernelHarness()
        let file = try h.createFile("\\??\\C:\\data.bin", disposition: 5).handle
        let iosb = try h.buffer(16), data = try h.ansi("hello world"), offset = try h.buffer(8)
        #expect(try h.call("ZwWriteFile", file, 0, 0, 0, iosb, data, 11, 0, 0) == 0)
        #expect(try h.kernel.readU64(iosb + 8) == 11)
        // Read from offset 6 explicitly.
        let out = try h.buffer(64)
        try h.kernel.writeU64(offset, 6)
        #expect(try h.call("ZwReadFile", file, 0, 0, 0, iosb, out, 64, offset, 0) == 0)
        #expect(try h.kernel.readU64(iosb + 8) == 5)
        #expect(try h.kernel.readCString(out) == "world")
        // The current position is now at the end: STATUS_END_OF_FILE.
        #expect(UInt32(try h.call("ZwReadFile", file, 0, 0, 0, iosb, out, 64, 0, 0)) == AreaStatus.endOfFile)
        // FileStandardInformation and FilePositionInformation.
        let info = try h.buffer(0x100)
        #expect(try h.call("ZwQueryInformationFile", file, iosb, info, 0x18, 5) == 0)
        #expect(try h.kernel.readU64(info + 8) == 11)
        #expect(try h.kernel.readU8(info + 0x15) == 0)
        #expect(UInt32(try h.call("ZwQueryInformationFile", file, iosb, info, 0x10, 5)) == NTStatus.infoLengthMismatch)
        try h.kernel.writeU64(info, 0)
        #expect(try h.call("ZwSetInformationFile", file, iosb, info, 8, 14) == 0)
        #expect(try h.call("ZwQueryInformationFile", file, iosb, info, 8, 14) == 0)
        #expect(try h.kernel.readU64(info) == 0)
        // Truncate with FileEndOfFileInformation.
        try h.kernel.writeU64(info, 5)
        #expect(try h.call("ZwSetInformationFile", file, iosb, info, 8, 20) == 0)
        #expect(try h.call("ZwQueryInformationFile", file, iosb, info, 0x18, 5) == 0)
        #expect(try h.kernel.readU64(info + 8) == 5)
        // FileNameInformation: the volume-relative name; a short buffer overflows with the length.
        #expect(try h.call("ZwQueryInformationFile", file, iosb, info, 0x100, 9) == 0)
        #expect(try h.kernel.readU32(info) == UInt32("\\data.bin".utf16.count * 2))
        #expect(UInt32(try h.call("ZwQueryInformationFile", file, iosb, info, 8, 9)) == NTStatus.bufferOverflow)
    }

    @Test func readOnlyHandleCannotWrite() throws {
        let h = try KernelHarness()
        _ = try h.createFile("\\??\\C:\\ro.txt", disposition: 2)
        let file = try h.createFile("\\??\\C:\\ro.txt", disposition: 1, access: 0x8000_0000).handle
        let iosb = try h.buffer(16)
        #expect(UInt32(try h.call("ZwWriteFile", file, 0, 0, 0, iosb, try h.ansi("x"), 1, 0, 0)) == NTStatus.accessDenied)
    }

    @Test func directoryListingAndDeletion() throws {
        let h = try KernelHarness()
        let directory = try h.createFile("\\??\\C:\\Logs", disposition: 2, options: 0x21)
        #expect(directory.status == 0)
        let iosb = try h.buffer(16), info = try h.buffer(0x1000)
        // An empty directory lists "." and "..", then STATUS_NO_MORE_FILES.
        #expect(try h.call("ZwQueryDirectoryFile", directory.handle, 0, 0, 0, iosb, info, 0x1000, 1, 0, 0, 1) == 0)
        let next = try h.kernel.readU32(info)
        #expect(next != 0 && next % 8 == 0)
        #expect(UInt32(try h.call("ZwQueryDirectoryFile", directory.handle, 0, 0, 0, iosb, info, 0x1000, 1, 0, 0, 0)) == AreaStatus.noMoreFiles)
        _ = try h.createFile("\\??\\C:\\Logs\\b.log", disposition: 2)
        _ = try h.createFile("\\??\\C:\\Logs\\a.txt", disposition: 2)
        // A pattern matching nothing on the first query: STATUS_NO_SUCH_FILE.
        #expect(UInt32(try h.call("ZwQueryDirectoryFile", directory.handle, 0, 0, 0, iosb, info, 0x1000, 1, 0,
                                  try unicodeString(h, "*.SYS"), 1)) == AreaStatus.noSuchFile)
        #expect(try h.call("ZwQueryDirectoryFile", directory.handle, 0, 0, 0, iosb, info, 0x1000, 12, 1,
                           try unicodeString(h, "*.LOG"), 1) == 0)
        #expect(try h.kernel.readU32(info + 8) == 10)
        #expect(GuestText.string(GuestText.units(try h.kernel.readBytes(info + 0xC, count: 10))) == "b.log")
        // A non-empty directory cannot be deleted; a file can.
        #expect(UInt32(try h.call("ZwDeleteFile", try objectAttributes(h, "\\??\\C:\\Logs"))) == AreaStatus.directoryNotEmpty)
        #expect(try h.call("ZwDeleteFile", try objectAttributes(h, "\\??\\C:\\Logs\\a.txt")) == 0)
        #expect(try h.createFile("\\??\\C:\\Logs\\a.txt", disposition: 1).status == NTStatus.objectNameNotFound)
        let attributes = try h.buffer(0x38)
        #expect(try h.call("ZwQueryFullAttributesFile", try objectAttributes(h, "\\??\\C:\\Logs\\b.log"), attributes) == 0)
        #expect(try h.kernel.readU32(attributes + 0x30) & 0x10 == 0)
    }

    @Test func volumeInformation() throws {
        let h = try KernelHarness()
        let file = try h.createFile("\\??\\C:\\v.txt", disposition: 2).handle
        let iosb = try h.buffer(16), info = try h.buffer(0x100)
        #expect(try h.call("ZwQueryVolumeInformationFile", file, iosb, info, 8, 4) == 0)
        #expect(try h.kernel.readU32(info) == 7) // FILE_DEVICE_DISK
        #expect(try h.call("ZwQueryVolumeInformationFile", file, iosb, info, 0x18, 3) == 0)
        #expect(try h.kernel.readU32(info + 0x14) == 512)
    }

    @Test func executableSectionViewsAreDriverVerifierFindings() throws {
        let h = try KernelHarness()
        let section = try h.buffer(8), size = try h.buffer(8)
        try h.kernel.writeU64(size, 0x2000)
        #expect(try h.call("ZwCreateSection", section, 0xF001F, 0, size, 0x04, 0x0800_0000, 0) == 0)
        #expect(h.kernel.findings.isEmpty)
        let base = try h.buffer(8), viewSize = try h.buffer(8)
        #expect(try h.call("ZwMapViewOfSection", try h.kernel.readU64(section), UInt64.max, base, 0, 0, 0, viewSize, 2, 0, 0x40) == 0)
        let finding = try #require(h.kernel.findings.first)
        #expect(finding.code == "0x2001")
        #expect(finding.bugCheck?.parameters[2] == "0x40")
        let view = try h.kernel.readU64(base)
        #expect(try h.kernel.readU64(viewSize) == 0x2000)
        #expect(h.memory.effectiveRights(of: view)?.contains(.execute) == false) // HVCI: the SLAT keeps data non-executable
        #expect(try h.call("ZwUnmapViewOfSection", UInt64.max, view) == 0)
        #expect(UInt32(try h.call("ZwUnmapViewOfSection", UInt64.max, view)) == AreaStatus.notMappedView)
        // A pagefile-backed section without a size.
        #expect(UInt32(try h.call("ZwCreateSection", section, 0xF001F, 0, 0, 0x04, 0x0800_0000, 0)) == AreaStatus.invalidParameter4)
        // PAGE_EXECUTE_READWRITE section itself.
        try h.kernel.writeU64(size, 0x1000)
        #expect(try h.call("ZwCreateSection", section, 0xF001F, 0, size, 0x40, 0x0800_0000, 0) == 0)
        #expect(h.kernel.findings.count == 2)
    }

    @Test func fileBackedViewsShareAndWriteBack() throws {
        let h = try KernelHarness()
        let file = try h.createFile("\\??\\C:\\map.bin", disposition: 2).handle
        let iosb = try h.buffer(16)
        #expect(try h.call("ZwWriteFile", file, 0, 0, 0, iosb, try h.ansi("ABCDEFGH"), 8, 0, 0) == 0)
        let section = try h.buffer(8)
        #expect(try h.call("ZwCreateSection", section, 0xF001F, 0, 0, 0x04, 0x0800_0000, file) == 0)
        let base = try h.buffer(8), viewSize = try h.buffer(8), offset = try h.buffer(8)
        try h.kernel.writeU64(offset, 0x1000)
        #expect(UInt32(try h.call("ZwMapViewOfSection", try h.kernel.readU64(section), UInt64.max, base, 0, 0, offset, viewSize, 2, 0, 0x04))
                == AreaStatus.mappedAlignment)
        #expect(try h.call("ZwMapViewOfSection", try h.kernel.readU64(section), UInt64.max, base, 0, 0, 0, viewSize, 2, 0, 0x04) == 0)
        let view = try h.kernel.readU64(base)
        #expect(try h.kernel.readCString(view, maxLength: 8) == "ABCDEFGH")
        try h.kernel.writeBytes(view, Array("xy".utf8))
        #expect(try h.call("ZwUnmapViewOfSection", UInt64.max, view) == 0)
        let out = try h.buffer(16), position = try h.buffer(8)
        #expect(try h.call("ZwReadFile", file, 0, 0, 0, iosb, out, 8, position, 0) == 0)
        #expect(try h.kernel.readCString(out) == "xyCDEFGH")
        // An empty file cannot back a section.
        let empty = try h.createFile("\\??\\C:\\empty.bin", disposition: 2).handle
        #expect(UInt32(try h.call("ZwCreateSection", section, 0xF001F, 0, 0, 0x02, 0x0800_0000, empty)) == AreaStatus.mappedFileSizeZero)
    }
}
