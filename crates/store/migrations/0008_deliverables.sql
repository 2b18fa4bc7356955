-- Deliverables: delivery packages (下载批次), print orders (冲印), contracts and mandates (委托采集).

-- A package as it was written: re-downloading rebuilds the same bytes from these rows, so
-- every cell of the info workbook is kept as written (the roster may change later).
CREATE TABLE download_batches (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    actor       TEXT NOT NULL,
    -- JSON of the StudentFilter it ran.
    filter      TEXT NOT NULL,
    name_by     TEXT NOT NULL,
    full_ids    INTEGER NOT NULL,
    photos      INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    sha256      TEXT NOT NULL
);
CREATE TABLE batch_entries (
    batch_id    TEXT NOT NULL REFERENCES download_batches(id),
    seq         INTEGER NOT NULL,
    -- A student enters one batch only.
    student_id  TEXT NOT NULL UNIQUE REFERENCES students(id),
    file_name   TEXT NOT NULL,
    photo_hash  TEXT NOT NULL,
    -- JSON array of the info workbook's cells for this photo, as written.
    info        TEXT NOT NULL,
    PRIMARY KEY (batch_id, seq)
);

CREATE TABLE print_addresses (
    id          TEXT PRIMARY KEY,
    recipient   TEXT NOT NULL,
    phone       TEXT NOT NULL,
    address     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE print_orders (
    id           TEXT PRIMARY KEY,
    school_code  TEXT NOT NULL REFERENCES schools(code),
    category     TEXT NOT NULL,
    -- JSON array of PrintPackage (分包); empty: every completed or delivered student.
    packages     TEXT NOT NULL,
    layout       TEXT NOT NULL,
    paper        TEXT NOT NULL,
    dpi          INTEGER NOT NULL,
    address_id   TEXT NOT NULL REFERENCES print_addresses(id),
    actor        TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
-- One printed set per row: line 0 is the order's own set, 1.. each extra set (加洗). The
-- student's print state is their line-0 row's; none means 未申请.
CREATE TABLE print_order_lines (
    order_id    TEXT NOT NULL REFERENCES print_orders(id),
    student_id  TEXT NOT NULL REFERENCES students(id),
    line        INTEGER NOT NULL,
    package     TEXT NOT NULL,
    photo_hash  TEXT NOT NULL,
    state       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (order_id, student_id, line)
);
-- A student is in one order's own set at most.
CREATE UNIQUE INDEX print_order_lines_one_set ON print_order_lines(student_id) WHERE line = 0;

CREATE TABLE contracts (
    id           TEXT PRIMARY KEY,
    school_code  TEXT NOT NULL REFERENCES schools(code),
    category     TEXT NOT NULL,
    price_fen    INTEGER NOT NULL,
    handler      TEXT NOT NULL,
    valid_until  TEXT NOT NULL,
    state        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (school_code, category)
);
-- Signed mandate scans (blobs) and the categories each covers.
CREATE TABLE mandate_scans (
    hash         TEXT NOT NULL,
    school_code  TEXT NOT NULL REFERENCES schools(code),
    kind         TEXT NOT NULL,
    bytes        INTEGER NOT NULL,
    file_name    TEXT NOT NULL,
    -- JSON array of category ids.
    categories   TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL,
    PRIMARY KEY (hash, school_code)
);
