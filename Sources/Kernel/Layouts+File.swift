/// Layouts of the file and section DDIs' information classes (x64).
extension Layout {
    /// The file area's structures.
    public enum Files {
        /// IO_STATUS_BLOCK: Status (union with Pointer), Information.
        public enum IoStatusBlock {
            public static let status = 0x0, information = 0x8, size = 0x10
        }

        /// FILE_BASIC_INFORMATION (0x28), FILE_STANDARD_INFORMATION (0x18),
        /// FILE_NETWORK_OPEN_INFORMATION (0x38), FILE_NAME_INFORMATION.
        public enum FileInformation {
            public static let basicCreationTime = 0x0, basicLastAccessTime = 0x8, basicLastWriteTime = 0x10
            public static let basicChangeTime = 0x18, basicFileAttributes = 0x20, basicSize = 0x28
            public static let standardAllocationSize = 0x0, standardEndOfFile = 0x8, standardNumberOfLinks = 0x10
            public static let standardDeletePending = 0x14, standardDirectory = 0x15, standardSize = 0x18
            public static let networkAllocationSize = 0x20, networkEndOfFile = 0x28, networkFileAttributes = 0x30, networkSize = 0x38
            public static let nameFileNameLength = 0x0, nameFileName = 0x4
        }

        /// FILE_DIRECTORY_INFORMATION and its relatives (FILE_FULL_DIR_, FILE_BOTH_DIR_, FILE_ID_*, FILE_NAMES_).
        public enum DirectoryInformation {
            public static let nextEntryOffset = 0x0, fileIndex = 0x4, creationTime = 0x8, lastAccessTime = 0x10
            public static let lastWriteTime = 0x18, changeTime = 0x20, endOfFile = 0x28, allocationSize = 0x30
            public static let fileAttributes = 0x38, fileNameLength = 0x3C
            public static let directoryFileName = 0x40
            public static let fullEaSize = 0x40, fullFileName = 0x44
            public static let bothShortNameLength = 0x44, bothShortName = 0x46, bothFileName = 0x5E
            public static let idBothFileId = 0x60, idBothFileName = 0x68
            public static let idFullFileId = 0x48, idFullFileName = 0x50
            public static let namesFileNameLength = 0x8, namesFileName = 0xC
        }
    }
}
