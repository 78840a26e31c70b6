//! A port of Go's `text/tabwriter` column alignment (the subset `oc` and kubectl use), so that
//! `describe`, `get` and `set` tables line up byte-for-byte like theirs (spec cli §1 "Column
//! alignment").
//!
//! Semantics: a cell is text terminated by `\t` (or `\v`); the text after the last tab of a line
//! is the trailing cell and never takes part in alignment. A column block is the run of
//! consecutive lines that have a cell in that column; a line without tabs ends every block. A
//! column's width is the widest cell (in runes) plus `padding`, at least `min_width`. With
//! `pad_char == b'\t'` the width is rounded up to a multiple of `tab_width` and the padding is
//! written as tabs.

/// The parameters of a Go `tabwriter.Writer` (flags are always 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TabWriterConfig {
    /// Minimal cell width including padding.
    pub min_width: usize,
    /// Width of a tab character, used when padding with tabs.
    pub tab_width: usize,
    /// Added to a cell's width when computing the column width.
    pub padding: usize,
    /// The padding byte; `b'\t'` pads with tabs.
    pub pad_char: u8,
}

/// `oc describe`: `tabwriter.NewWriter(out, 0, 8, 1, '\t', 0)`.
pub const DESCRIBE: TabWriterConfig = TabWriterConfig {
    min_width: 0,
    tab_width: 8,
    padding: 1,
    pad_char: b'\t',
};

/// `oc get` tables: `NewWriter(out, 6, 4, 3, ' ', 0)`.
#[allow(dead_code)] // for `get`'s tables
pub const GET: TabWriterConfig = TabWriterConfig {
    min_width: 6,
    tab_width: 4,
    padding: 3,
    pad_char: b' ',
};

/// `oc set image-lookup` / `set triggers` tables: `NewWriter(out, 0, 2, 2, ' ', 0)`.
pub const SET: TabWriterConfig = TabWriterConfig {
    min_width: 0,
    tab_width: 2,
    padding: 2,
    pad_char: b' ',
};

/// One cell: its text and its width in runes.
struct Cell<'a> {
    text: &'a str,
    width: usize,
}

/// Formats `text` the way writing it to a Go tabwriter with `cfg` and flushing would.
pub fn format(cfg: &TabWriterConfig, text: &str) -> String {
    // A form feed ends the line and flushes: what follows starts afresh.
    if let Some((before, after)) = text.split_once('\x0c') {
        let mut out = format_block(cfg, &format!("{before}\n"));
        out.push_str(&format(cfg, after));
        return out;
    }
    format_block(cfg, text)
}

/// Formats text without form feeds.
fn format_block(cfg: &TabWriterConfig, text: &str) -> String {
    // Split into lines and cells ('\t' and '\v' end a cell). A text ending in a line break
    // yields a final empty line, written without a newline.
    let mut lines: Vec<Vec<Cell<'_>>> = Vec::new();
    let mut line: Vec<Cell<'_>> = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'\t' | b'\x0b' | b'\n' => {
                let t = &text[start..i];
                line.push(Cell {
                    text: t,
                    width: t.chars().count(),
                });
                start = i + 1;
                if b == b'\n' {
                    lines.push(std::mem::take(&mut line));
                }
            }
            _ => {}
        }
    }
    let rest = &text[start..];
    if !rest.is_empty() {
        line.push(Cell {
            text: rest,
            width: rest.chars().count(),
        });
    }
    lines.push(line);

    let mut w = Writer {
        cfg,
        lines: &lines,
        widths: Vec::new(),
        out: String::with_capacity(text.len() + text.len() / 2),
    };
    w.format(0, lines.len());
    w.out
}

struct Writer<'c, 'l, 'a> {
    cfg: &'c TabWriterConfig,
    lines: &'l [Vec<Cell<'a>>],
    widths: Vec<usize>,
    out: String,
}

impl Writer<'_, '_, '_> {
    /// Go's `Writer.format`: lays out the lines `line0..line1` given the widths of the columns
    /// to the left (`self.widths`).
    fn format(&mut self, mut line0: usize, line1: usize) {
        let column = self.widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= self.lines[this].len() {
                this += 1;
                continue;
            }
            // This line has a cell in `column`: print the lines before it, then the block.
            self.write_lines(line0, this);
            line0 = this;
            let mut width = self.cfg.min_width;
            while this < line1 {
                let line = &self.lines[this];
                if column + 1 >= line.len() {
                    break;
                }
                width = width.max(line[column].width + self.cfg.padding);
                this += 1;
            }
            self.widths.push(width);
            self.format(line0, this);
            self.widths.pop();
            line0 = this;
        }
        self.write_lines(line0, line1);
    }

    /// Go's `Writer.writeLines`.
    fn write_lines(&mut self, line0: usize, line1: usize) {
        for i in line0..line1 {
            let line = &self.lines[i];
            for (j, cell) in line.iter().enumerate() {
                self.out.push_str(cell.text);
                if j < self.widths.len() {
                    self.write_padding(cell.width, self.widths[j]);
                }
            }
            if i + 1 < self.lines.len() {
                self.out.push('\n');
            }
        }
    }

    /// Go's `Writer.writePadding` (never with `TabIndent`).
    fn write_padding(&mut self, text_width: usize, cell_width: usize) {
        if self.cfg.pad_char == b'\t' {
            let tw = self.cfg.tab_width;
            if tw == 0 {
                return;
            }
            let cell_width = cell_width.div_ceil(tw) * tw;
            let n = cell_width.saturating_sub(text_width);
            for _ in 0..n.div_ceil(tw) {
                self.out.push('\t');
            }
            return;
        }
        let pad = char::from(self.cfg.pad_char);
        for _ in 0..cell_width.saturating_sub(text_width) {
            self.out.push(pad);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_labels_are_padded_with_tabs_to_a_multiple_of_eight() {
        // Widest label "Image Repository:" (17) + padding 1 = 18 → 24; "Name:" needs 19 more
        // columns → 3 tabs; "Namespace:" 14 → 2; "Image Repository:" 7 → 1.
        let text = "Name:\tx\nNamespace:\tdemo\nImage Repository:\tr/demo/x\n";
        assert_eq!(
            format(&DESCRIBE, text),
            "Name:\t\t\tx\nNamespace:\t\tdemo\nImage Repository:\tr/demo/x\n"
        );
    }

    #[test]
    fn describe_cell_exactly_at_a_tab_stop_gets_a_full_tab() {
        // "1234567:" is 8 runes; +1 padding = 9 → 16; needs 8 → 1 tab. "ab:" needs 13 → 2 tabs.
        let text = "1234567:\tv\nab:\tw\n";
        assert_eq!(format(&DESCRIBE, text), "1234567:\tv\nab:\t\tw\n");
        // "1234567" (7) + 1 = 8 → 8; needs 1 → 1 tab.
        assert_eq!(format(&DESCRIBE, "1234567\tv\n"), "1234567\tv\n");
    }

    #[test]
    fn a_line_without_tabs_ends_the_column_block() {
        let text = "a:\t1\nlonger label:\t2\n\nb:\t3\n";
        // Block 1 width: 13+1=14 → 16: "a:" needs 14 → 2 tabs; "longer label:" needs 3 → 1.
        // Block 2 width: 2+1=3 → 8: "b:" needs 6 → 1 tab.
        assert_eq!(
            format(&DESCRIBE, text),
            "a:\t\t1\nlonger label:\t2\n\nb:\t3\n"
        );
    }

    #[test]
    fn get_table_uses_min_width_and_spaces() {
        let text = "NAME\tIMAGE REPOSITORY\tTAGS\tUPDATED\nab\tr/ns/ab\tlatest\t\n";
        // col0: max(6, 4+3, 2+3) = 7; col1: max(6, 16+3, 7+3) = 19; col2: max(6, 4+3, 6+3) = 9.
        assert_eq!(
            format(&GET, text),
            "NAME   IMAGE REPOSITORY   TAGS     UPDATED\n\
             ab     r/ns/ab            latest   \n"
        );
    }

    #[test]
    fn trailing_cell_is_not_padded_and_empty_cells_are() {
        let text = "NAME\tLOCAL\nmysql\ttrue\nx\t\n";
        assert_eq!(format(&SET, text), "NAME   LOCAL\nmysql  true\nx      \n");
    }

    #[test]
    fn nested_columns_only_span_lines_that_have_them() {
        // Column 1 exists only on lines 2-3 (lines with 3 cells); line 1 has 2 cells.
        let text = "a\tb\nccc\tdd\te\nf\tgggg\th\n";
        // col0 over lines 1-3: max(1,3,1)+2 = 5. col1 over lines 2-3: max(2,4)+2 = 6.
        assert_eq!(format(&SET, text), "a    b\nccc  dd    e\nf    gggg  h\n");
    }

    #[test]
    fn column_widths_count_runes_not_bytes() {
        let text = "é\tx\nab\ty\n";
        assert_eq!(format(&SET, text), "é   x\nab  y\n");
    }

    #[test]
    fn text_without_final_newline_keeps_its_last_line() {
        assert_eq!(format(&SET, "a\tb\ncc\td"), "a   b\ncc  d");
        assert_eq!(format(&SET, ""), "");
        assert_eq!(format(&SET, "plain\n"), "plain\n");
    }

    #[test]
    fn empty_cells_in_tab_mode_are_filled_with_tabs() {
        // Describe continuation lines ("\tvalue") inside a label block: the empty cell is
        // padded to the column width like any other: width 10+1=11 → 16 → 2 tabs.
        let text = "Labels:\ta=b\n\tc=d\nNamespace:\tx\n";
        assert_eq!(
            format(&DESCRIBE, text),
            "Labels:\t\ta=b\n\t\tc=d\nNamespace:\tx\n"
        );
    }

    #[test]
    fn zero_tab_width_with_tab_padding_writes_no_padding() {
        let cfg = TabWriterConfig {
            min_width: 0,
            tab_width: 0,
            padding: 1,
            pad_char: b'\t',
        };
        assert_eq!(format(&cfg, "a\tb\n"), "ab\n");
    }

    #[test]
    fn vertical_tab_and_form_feed_terminate_cells_and_lines() {
        // The form feed flushes, so the two lines are aligned independently.
        assert_eq!(format(&SET, "a\x0bb\x0ccc\x0bd\n"), "a  b\ncc  d\n");
        assert_eq!(format(&SET, "a\x0bb\ncc\x0bd\n"), "a   b\ncc  d\n");
    }
}
