//! Print orders (冲印): the address book, orders with their packages, each printed set as a
//! line, and the per-student print state.

use crate::{Store, StoreError, now, outbox};
use photoroll_core::delivery::PACKAGE_STATES;
use photoroll_core::{EducationCategory, Operation, PrintAddress, PrintPackage, PrintState};
use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AddressRecord {
    pub id: String,
    pub recipient: String,
    pub phone: String,
    pub address: String,
    pub created_at: String,
}

/// What an order is made of before it is stored.
#[derive(Debug, Clone)]
pub struct NewPrintOrder {
    pub school_code: String,
    pub category: EducationCategory,
    pub packages: Vec<PrintPackage>,
    pub layout: String,
    pub paper: String,
    pub dpi: u32,
    pub address_id: String,
    pub actor: String,
}

/// A student an order would take: completed or delivered, with a photo, in no order's own set.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PrintCandidate {
    pub id: String,
    pub photo_hash: String,
}

/// An order in the list, with how many of its sets are in each print state.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PrintOrderRecord {
    pub id: String,
    pub school_code: String,
    pub category: String,
    pub packages: Vec<PrintPackage>,
    pub layout: String,
    pub paper: String,
    pub dpi: u32,
    pub address: AddressRecord,
    pub actor: String,
    pub created_at: String,
    /// Students in the order's own set.
    pub students: u32,
    /// Extra sets (加洗) across every extra line.
    pub extra_sets: u32,
    pub queued: u32,
    pub printed: u32,
    pub shipped: u32,
}

/// One printed set: whose, which package, which line (0 the order's own, 1.. extra).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PrintLine {
    pub student_id: String,
    pub name: String,
    pub collection_code: Option<String>,
    pub class_name: Option<String>,
    pub package: String,
    pub line: u32,
    pub photo_hash: String,
    pub state: String,
}

fn push_package(qb: &mut QueryBuilder<Sqlite>, p: &PrintPackage) {
    let fields: [(&str, Option<&String>); 4] = [
        ("teaching_site", p.teaching_site.as_ref()),
        ("department", p.department.as_ref()),
        ("major", p.major.as_ref()),
        ("class_name", p.class_name.as_ref()),
    ];
    for (column, value) in fields {
        if let Some(v) = value.map(|v| v.trim()).filter(|v| !v.is_empty()) {
            qb.push(format_args!(" AND {column} = "))
                .push_bind(v.to_string());
        }
    }
    if let Some(y) = p.enrolment_year {
        qb.push(" AND enrolment_year = ").push_bind(y);
    }
}

fn push_printable(qb: &mut QueryBuilder<Sqlite>, school: &str, category: EducationCategory) {
    qb.push(" WHERE school_code = ")
        .push_bind(school.to_string())
        .push(" AND category = ")
        .push_bind(category.id())
        .push(" AND photo_hash IS NOT NULL AND state IN (");
    let mut sep = qb.separated(", ");
    for s in PACKAGE_STATES {
        sep.push_bind(s.id());
    }
    sep.push_unseparated(")");
}

impl Store {
    pub async fn add_print_address(&self, a: &PrintAddress) -> Result<String, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        let mut tx = self.pool().begin().await?;
        sqlx::query("INSERT INTO print_addresses (id, recipient, phone, address, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&id)
            .bind(&a.recipient)
            .bind(&a.phone)
            .bind(&a.address)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        outbox::append(
            &mut tx,
            Operation::PrintAddressSaved {
                address_id: id.clone(),
                address: a.clone(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn print_addresses(&self) -> Result<Vec<AddressRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, recipient, phone, address, created_at FROM print_addresses ORDER BY created_at, id",
        )
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn print_address(&self, id: &str) -> Result<Option<AddressRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, recipient, phone, address, created_at FROM print_addresses WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The students of one package an order would take now, in class then code order.
    /// `not_in_set` leaves out students already in some order's own set.
    pub async fn print_candidates(
        &self,
        school: &str,
        category: EducationCategory,
        package: &PrintPackage,
        not_in_set: bool,
    ) -> Result<Vec<PrintCandidate>, StoreError> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT id, photo_hash FROM students");
        push_printable(&mut qb, school, category);
        push_package(&mut qb, package);
        if not_in_set {
            qb.push(" AND id NOT IN (SELECT student_id FROM print_order_lines WHERE line = 0)");
        }
        qb.push(" ORDER BY class_name, collection_code, rowid");
        Ok(qb.build_query_as().fetch_all(self.pool()).await?)
    }

    /// Stores an order and queues its students (line 0), each under its package's name.
    pub async fn create_print_order(
        &self,
        order: &NewPrintOrder,
        students: &[(PrintCandidate, String)],
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        let at = now();
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO print_orders (id, school_code, category, packages, layout, paper, dpi, address_id, actor, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(&order.school_code)
        .bind(order.category.id())
        .bind(serde_json::to_string(&order.packages)?)
        .bind(&order.layout)
        .bind(&order.paper)
        .bind(order.dpi)
        .bind(&order.address_id)
        .bind(&order.actor)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        insert_lines(&mut tx, &id, 0, students, &at).await?;
        outbox::append(
            &mut tx,
            Operation::PrintOrderLinesAdded {
                order_id: id.clone(),
                school_code: order.school_code.clone(),
                category: order.category,
                line: 0,
                layout: order.layout.clone(),
                paper: order.paper.clone(),
                dpi: order.dpi,
                address_id: order.address_id.clone(),
                student_ids: students.iter().map(|(c, _)| c.id.clone()).collect(),
                at: at.clone(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Adds an extra set (加洗) for these students as the order's next line. Returns the line.
    pub async fn add_print_extra(
        &self,
        order_id: &str,
        students: &[(PrintCandidate, String)],
    ) -> Result<u32, StoreError> {
        let order = self
            .print_order(order_id)
            .await?
            .ok_or_else(|| StoreError::UnknownPrintOrder(order_id.to_string()))?;
        let at = now();
        let mut tx = self.pool().begin().await?;
        let line: u32 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(line), 0) + 1 FROM print_order_lines WHERE order_id = ?",
        )
        .bind(order_id)
        .fetch_one(&mut *tx)
        .await?;
        insert_lines(&mut tx, order_id, line, students, &at).await?;
        let category = EducationCategory::parse(&order.category)
            .ok_or_else(|| StoreError::Corrupt(format!("未知的学历类别 “{}”", order.category)))?;
        outbox::append(
            &mut tx,
            Operation::PrintOrderLinesAdded {
                order_id: order_id.to_string(),
                school_code: order.school_code.clone(),
                category,
                line,
                layout: order.layout.clone(),
                paper: order.paper.clone(),
                dpi: order.dpi,
                address_id: order.address.id.clone(),
                student_ids: students.iter().map(|(c, _)| c.id.clone()).collect(),
                at: at.clone(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(line)
    }

    pub async fn print_orders(&self) -> Result<Vec<PrintOrderRecord>, StoreError> {
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM print_orders ORDER BY created_at DESC, id DESC")
                .fetch_all(self.pool())
                .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(o) = self.print_order(&id).await? {
                out.push(o);
            }
        }
        Ok(out)
    }

    pub async fn print_order(&self, id: &str) -> Result<Option<PrintOrderRecord>, StoreError> {
        type Row = (
            String,
            String,
            String,
            String,
            String,
            String,
            u32,
            String,
            String,
            String,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT id, school_code, category, packages, layout, paper, dpi, address_id, actor, created_at FROM print_orders WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        let Some((
            id,
            school_code,
            category,
            packages,
            layout,
            paper,
            dpi,
            address_id,
            actor,
            created_at,
        )) = row
        else {
            return Ok(None);
        };
        let address = self
            .print_address(&address_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("订单 {id} 的收件地址不存在")))?;
        let counts: Vec<(u32, String, u32)> = sqlx::query_as(
            "SELECT line = 0, state, COUNT(*) FROM print_order_lines WHERE order_id = ? GROUP BY line = 0, state",
        )
        .bind(&id)
        .fetch_all(self.pool())
        .await?;
        let (mut students, mut extra_sets, mut queued, mut printed, mut shipped) = (0, 0, 0, 0, 0);
        for (own, state, n) in counts {
            if own == 1 {
                students += n;
            } else {
                extra_sets += n;
            }
            match PrintState::parse(&state) {
                Some(PrintState::Queued) => queued += n,
                Some(PrintState::Printed) => printed += n,
                Some(PrintState::Shipped) => shipped += n,
                _ => return Err(StoreError::Corrupt(format!("未知的冲印状态 “{state}”"))),
            }
        }
        Ok(Some(PrintOrderRecord {
            id,
            school_code,
            category,
            packages: serde_json::from_str(&packages)?,
            layout,
            paper,
            dpi,
            address,
            actor,
            created_at,
            students,
            extra_sets,
            queued,
            printed,
            shipped,
        }))
    }

    /// Every set of an order in print order: package, class, code, then line.
    pub async fn print_lines(&self, order_id: &str) -> Result<Vec<PrintLine>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT l.student_id, s.name, s.collection_code, s.class_name, l.package, l.line, l.photo_hash, l.state
             FROM print_order_lines l JOIN students s ON s.id = l.student_id
             WHERE l.order_id = ?
             ORDER BY l.package, s.class_name, s.collection_code, s.rowid, l.line",
        )
        .bind(order_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Moves every set of the order that can take the step (queued → printed, printed →
    /// shipped). Returns how many moved; none is an error naming the states found.
    pub async fn mark_print_order(
        &self,
        order_id: &str,
        to: PrintState,
    ) -> Result<u32, StoreError> {
        let mut tx = self.pool().begin().await?;
        let states: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT state FROM print_order_lines WHERE order_id = ?")
                .bind(order_id)
                .fetch_all(&mut *tx)
                .await?;
        if states.is_empty() {
            return Err(StoreError::UnknownPrintOrder(order_id.to_string()));
        }
        let mut movable = None;
        let mut refusal = None;
        for s in &states {
            let from = PrintState::parse(s)
                .ok_or_else(|| StoreError::Corrupt(format!("未知的冲印状态 “{s}”")))?;
            match from.advance(to) {
                Ok(_) => movable = Some(from),
                Err(e) => refusal = Some(e),
            }
        }
        let Some(from) = movable else {
            return Err(StoreError::PrintState(refusal.unwrap_or(
                photoroll_core::print::PrintStateError {
                    from: PrintState::NotOrdered,
                    to,
                },
            )));
        };
        let at = now();
        let moved = sqlx::query(
            "UPDATE print_order_lines SET state = ?, updated_at = ? WHERE order_id = ? AND state = ?",
        )
        .bind(to.id())
        .bind(&at)
        .bind(order_id)
        .bind(from.id())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        outbox::append(
            &mut tx,
            Operation::PrintStateChanged {
                order_id: order_id.to_string(),
                to,
                at,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(moved as u32)
    }

    /// A student's print state: their own set's, 未申请 when no order has them.
    pub async fn print_state(&self, student_id: &str) -> Result<PrintState, StoreError> {
        let state: Option<String> = sqlx::query_scalar(
            "SELECT state FROM print_order_lines WHERE student_id = ? AND line = 0",
        )
        .bind(student_id)
        .fetch_optional(self.pool())
        .await?;
        match state {
            None => Ok(PrintState::NotOrdered),
            Some(s) => PrintState::parse(&s)
                .ok_or_else(|| StoreError::Corrupt(format!("未知的冲印状态 “{s}”"))),
        }
    }
}

async fn insert_lines(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    order_id: &str,
    line: u32,
    students: &[(PrintCandidate, String)],
    at: &str,
) -> Result<(), StoreError> {
    for (c, package) in students {
        let r = sqlx::query(
            "INSERT INTO print_order_lines (order_id, student_id, line, package, photo_hash, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(order_id)
        .bind(&c.id)
        .bind(line)
        .bind(package)
        .bind(&c.photo_hash)
        .bind(PrintState::Queued.id())
        .bind(at)
        .execute(&mut **tx)
        .await;
        if let Err(sqlx::Error::Database(d)) = &r
            && d.is_unique_violation()
        {
            return Err(StoreError::AlreadyOrdered(c.id.clone()));
        }
        r?;
    }
    Ok(())
}
