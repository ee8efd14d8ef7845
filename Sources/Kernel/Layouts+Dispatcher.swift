/// Dispatcher objects, locks and deferred-work structures as on x64
/// Windows 10/11 (wdm.h / ntddk.h / public symbols). Drivers embed these in
/// their own memory, so the model reads and writes the same fields their
/// inline code does.
extension Layout {
    /// Everything of the synchronisation, time and deferred-work areas, kept in one
    /// namespace so it cannot collide with layouts other areas add.
    public enum Dispatcher {
        /// DISPATCHER_HEADER (0x18): Type, Signalling, Size, …, SignalState, WaitListHead.
        public enum Header {
            public static let type = 0x0, signalling = 0x1, size = 0x2, signalState = 0x4, waitListHead = 0x8
            public static let totalSize = 0x18
            // KOBJECTS
            public static let eventNotification: UInt8 = 0, eventSynchronization: UInt8 = 1, mutant: UInt8 = 2
            public static let process: UInt8 = 3, queue: UInt8 = 4, semaphore: UInt8 = 5, thread: UInt8 = 6
            public static let gate: UInt8 = 7, timerNotification: UInt8 = 8, timerSynchronization: UInt8 = 9
        }

        /// KEVENT: just a header (Size 6 ULONGs).
        public enum Event {
            public static let totalSize = 0x18
        }

        /// KMUTANT / KMUTEX (0x38).
        public enum Mutant {
            public static let mutantListEntry = 0x18, ownerThread = 0x28, abandoned = 0x30, apcDisable = 0x31
            public static let totalSize = 0x38
        }

        /// KSEMAPHORE (0x20): header, then Limit.
        public enum Semaphore {
            public static let limit = 0x18, totalSize = 0x20
        }

        /// KTIMER (0x40).
        public enum Timer {
            public static let dueTime = 0x18, timerListEntry = 0x20, dpc = 0x30, processor = 0x38, period = 0x3C
            public static let totalSize = 0x40
        }

        /// KDPC (0x40).
        public enum Dpc {
            public static let type = 0x0, importance = 0x1, number = 0x2, dpcListEntry = 0x8, processorHistory = 0x10
            public static let deferredRoutine = 0x18, deferredContext = 0x20, systemArgument1 = 0x28
            public static let systemArgument2 = 0x30, dpcData = 0x38
            public static let totalSize = 0x40
            public static let dpcObject: UInt8 = 0x13, threadedDpcObject: UInt8 = 0x18
            public static let mediumImportance: UInt8 = 1
        }

        /// FAST_MUTEX and KGUARDED_MUTEX (0x38): Count (bit 0 set = free), Owner, Contention, Event/Gate, OldIrql.
        public enum FastMutex {
            public static let count = 0x0, owner = 0x8, contention = 0x10, event = 0x18, oldIrql = 0x30
            public static let totalSize = 0x38
            public static let lockBit: UInt32 = 1
        }

        /// KLOCK_QUEUE_HANDLE (0x18): KSPIN_LOCK_QUEUE { Next, Lock }, OldIrql.
        public enum KLockQueueHandle {
            public static let next = 0x0, lock = 0x8, oldIrql = 0x10, totalSize = 0x18
        }

        /// ERESOURCE (0x68). The model keeps ownership in area state and mirrors the counters here.
        public enum EResource {
            public static let systemResourcesList = 0x0, ownerTable = 0x10, activeCount = 0x18, flag = 0x1A
            public static let sharedWaiters = 0x20, exclusiveWaiters = 0x28, ownerThread = 0x30, ownerCount = 0x38
            public static let activeEntries = 0x40, contentionCount = 0x44
            public static let totalSize = 0x68
            public static let ownedExclusive: UInt16 = 0x80
        }

        /// WORK_QUEUE_ITEM (0x20): List, WorkerRoutine, Parameter.
        public enum WorkQueueItem {
            public static let list = 0x0, workerRoutine = 0x10, parameter = 0x18, totalSize = 0x20
        }

        /// IO_WORKITEM is opaque; IoSizeofWorkItem reports this size.
        public enum IoWorkItem {
            public static let totalSize = 0x58
        }

        // CLIENT_ID: Layout.ClientId is in Layouts+Objects.swift.

        /// TIME_FIELDS: eight CSHORTs.
        public enum TimeFields {
            public static let year = 0x0, month = 0x2, day = 0x4, hour = 0x6, minute = 0x8, second = 0xA
            public static let milliseconds = 0xC, weekday = 0xE, totalSize = 0x10
        }

        /// SLIST_HEADER, x64 "HeaderX64" form: Depth:16 | Sequence:48 in the low quadword,
        /// Reserved:4 | NextEntry:60 (address >> 4) in the high quadword.
        public enum SListHeader {
            public static let alignment = 0x0, region = 0x8, totalSize = 0x10
        }

        /// PROCESSOR_NUMBER (Group, Number, Reserved) and GROUP_AFFINITY (Mask, Group, Reserved[3]).
        public enum ProcessorNumber {
            public static let group = 0x0, number = 0x2, reserved = 0x3, totalSize = 0x4
        }

        public enum GroupAffinity {
            public static let mask = 0x0, group = 0x8, totalSize = 0x10
        }

        /// KUSER_SHARED_DATA time fields the clock keeps current (KSYSTEM_TIME: LowPart, High1Time, High2Time).
        public enum SharedTime {
            public static let interruptTime = 0x8, systemTime = 0x14, timeZoneBias = 0x20, tickCount = 0x320
            public static let qpcFrequency = 0x300
        }
    }
}
