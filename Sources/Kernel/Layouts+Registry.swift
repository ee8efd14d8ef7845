/// Layouts of the registry DDIs' structures (x64).
extension Layout {
    /// The registry area's structures.
    public enum Registry {
        /// KEY_VALUE_BASIC_INFORMATION / _FULL_ / _PARTIAL_ (and _ALIGN64).
        public enum KeyValueInformation {
            public static let basicType = 0x4, basicNameLength = 0x8, basicName = 0xC
            public static let fullType = 0x4, fullDataOffset = 0x8, fullDataLength = 0xC, fullNameLength = 0x10, fullName = 0x14
            public static let partialType = 0x4, partialDataLength = 0x8, partialData = 0xC
            public static let partial64Type = 0x0, partial64DataLength = 0x4, partial64Data = 0x8
        }

        /// KEY_BASIC_INFORMATION, KEY_NODE_INFORMATION, KEY_FULL_INFORMATION, KEY_NAME_INFORMATION, KEY_CACHED_INFORMATION.
        public enum KeyInformation {
            public static let basicLastWriteTime = 0x0, basicNameLength = 0xC, basicName = 0x10
            public static let nodeClassOffset = 0xC, nodeClassLength = 0x10, nodeNameLength = 0x14, nodeName = 0x18
            public static let fullClassOffset = 0xC, fullClassLength = 0x10, fullSubKeys = 0x14, fullMaxNameLen = 0x18
            public static let fullMaxClassLen = 0x1C, fullValues = 0x20, fullMaxValueNameLen = 0x24
            public static let fullMaxValueDataLen = 0x28, fullClass = 0x2C
            public static let nameNameLength = 0x0, nameName = 0x4
            public static let cachedSubKeys = 0xC, cachedMaxNameLen = 0x10, cachedValues = 0x14
            public static let cachedMaxValueNameLen = 0x18, cachedMaxValueDataLen = 0x1C, cachedNameLength = 0x20, cachedSize = 0x24
        }

        /// RTL_QUERY_REGISTRY_TABLE (0x38 bytes).
        public enum QueryRegistryTable {
            public static let queryRoutine = 0x0, flags = 0x8, name = 0x10, entryContext = 0x18
            public static let defaultType = 0x20, defaultData = 0x28, defaultLength = 0x30, size = 0x38
        }

    }

    /// The string and file areas' structures.
    public enum Strings {
        /// ANSI_STRING / STRING: same shape as UNICODE_STRING.
        public enum AnsiString {
            public static let length = 0x0, maximumLength = 0x2, buffer = 0x8, size = 0x10
        }
    }
}
