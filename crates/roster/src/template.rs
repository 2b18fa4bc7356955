//! The roster template administrators fill in.

use photoroll_core::EducationCategory;
use photoroll_core::roster::Column;
use rust_xlsxwriter::{DataValidation, Format, Workbook, XlsxError};
use std::path::Path;

/// The template's columns, in the order a school's list usually has them.
pub const TEMPLATE_COLUMNS: [Column; 16] = [
    Column::Name,
    Column::IdKind,
    Column::IdNumber,
    Column::IdLastFour,
    Column::CollectionCode,
    Column::SchoolCode,
    Column::SchoolName,
    Column::Category,
    Column::Level,
    Column::StudentNumber,
    Column::ExamineeNumber,
    Column::TeachingSite,
    Column::Department,
    Column::Major,
    Column::Class,
    Column::EnrolmentYear,
];

const TEMPLATE_ROWS: u32 = 100_000;

/// Writes the template: header row, identifier columns formatted as text (so Excel never turns
/// an ID into 1.30121E+17), dropdowns for category, level and document type, and an instructions
/// sheet in Chinese.
pub fn write_template(path: &Path) -> Result<(), XlsxError> {
    let mut book = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color("#DDEBF7")
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let text = Format::new().set_num_format("@");
    let sheet = book.add_worksheet();
    sheet.set_name("采集名单")?;
    for (i, col) in TEMPLATE_COLUMNS.iter().enumerate() {
        let c = i as u16;
        sheet.write_string_with_format(0, c, col.header(), &header)?;
        let width = match col {
            Column::IdNumber | Column::CollectionCode => 22.0,
            Column::SchoolName | Column::Category | Column::Major | Column::Department => 16.0,
            _ => 11.0,
        };
        sheet.set_column_width(c, width)?;
        if !matches!(col, Column::EnrolmentYear) {
            sheet.set_column_format(c, &text)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    let position = |col: Column| {
        TEMPLATE_COLUMNS
            .iter()
            .position(|c| *c == col)
            .expect("template column") as u16
    };
    let categories: Vec<&str> = EducationCategory::ALL
        .iter()
        .map(|c| c.display_name())
        .collect();
    let levels = ["专科", "本科", "硕士", "博士", "高起专", "高起本", "专升本"];
    let kinds = [
        "居民身份证",
        "护照",
        "港澳居民来往内地通行证",
        "台湾居民来往大陆通行证",
        "港澳台居民居住证",
        "外国人永久居留身份证",
    ];
    for (col, list) in [
        (Column::Category, &categories[..]),
        (Column::Level, &levels[..]),
        (Column::IdKind, &kinds[..]),
    ] {
        let dv = DataValidation::new()
            .allow_list_strings(list)?
            .set_error_title("无效的值")?
            .set_error_message("请从下拉列表中选择")?;
        sheet.add_data_validation(1, position(col), TEMPLATE_ROWS, position(col), &dv)?;
    }
    let year = DataValidation::new()
        .allow_whole_number(rust_xlsxwriter::DataValidationRule::Between(1950, 2100))
        .set_error_message("入学年份应为4位年份，如 2022")?;
    sheet.add_data_validation(
        1,
        position(Column::EnrolmentYear),
        TEMPLATE_ROWS,
        position(Column::EnrolmentYear),
        &year,
    )?;

    let notes = book.add_worksheet();
    notes.set_name("填写说明")?;
    let bold = Format::new().set_bold();
    notes.set_column_width(0, 100.0)?;
    let lines = [
        "采集名单填写说明",
        "1. 每行一名学生，请勿修改第一个工作表的表头；不需要的列可以留空，其他列会被忽略。",
        "2. 必填：姓名；采集码（学信网图像采集码）与完整证件号至少填写一项。推荐使用采集码。",
        "3. 证件号：居民身份证为18位，最后一位可以是X；护照等其他证件请在“证件类型”中注明，按原样填写（5–20位字母或数字）。",
        "4. 证件号、采集码、学号、考生号等列已设置为“文本”格式。请勿改为数字格式：超过15位的数字会被 Excel 截断，导致号码错误。",
        "5. 只有证件号后四位时，可填写“证件号后四位”一列（现场采集时学生用后四位加特征码识别）。",
        "6. 学历类别可选：普通高等教育、成人高等教育、网络教育、开放教育、高等教育自学考试、研究生（也接受常见简称，如成教、自考）。",
        "7. 学历层次可选：专科、本科、硕士、博士（高起专记为专科，高起本、专升本记为本科）。",
        "8. 院校代码如填写，必须与导入时选择的院校一致；入学年份为4位年份。",
        "9. 同一文件中采集码或证件号重复的行，只导入第一行；已在名单中的学生不会重复导入。",
        "10. 导入后可查看失败行及原因，导出失败行修改后再次导入。",
    ];
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            notes.write_string_with_format(0, 0, *line, &bold)?;
        } else {
            notes.write_string(i as u32, 0, *line)?;
        }
    }
    book.save(path)
}
