//! The mandate (委托书). Being written.
