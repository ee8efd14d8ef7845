/// The kernel model's Rtl string functions (RtlAnsiStringToUnicodeString, RtlUnicodeStringToAnsiString, RtlFreeUnicodeString/AnsiString, RtlCompareUnicodeString, RtlEqualUnicodeString, RtlAppendUnicode*, RtlUpcaseUnicodeString, RtlUnicodeStringToInteger, RtlIntegerToUnicodeString, RtlInitString, RtlCopyString, RtlPrefixUnicodeString, FsRtlIsNameInExpression, …) and the CRT string functions ntoskrnl exports (wcs*, str*, mbstowcs, towupper, …).
enum StringsArea {
    static let handlers: [String: KernelHandler] = [:]
}
