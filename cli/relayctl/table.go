package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"
)

// tableWidth is what a table's lines fit in by default: a terminal split
// in two, or a chat message, without wrapping.
const tableWidth = 100

// wideFlag is -o wide on the table commands: every column, nothing cut.
var wideFlag = &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "wide: every column, nothing shortened"}

// isWide reads -o; anything but wide is a usage error.
func isWide(c *cli.Context) (bool, error) {
	switch c.String("output") {
	case "":
		return false, nil
	case "wide":
		return true, nil
	}
	return false, usagef("-o %q: the only output format is wide (or --json)", c.String("output"))
}

// fit says how a column's cells are shortened when the table is too wide.
type fit int

const (
	fixed     fit = iota // never shortened (numbers, states, times, ids)
	keepStart            // "https://billing.internal/eq_cal…"
	keepEnd              // "…connect: connection refused": an error's cause is at its end
)

// column is a table column: in the default view unless wideOnly; a
// shortened one keeps at least min characters, and gives way after the
// columns of a lower rank.
type column struct {
	header   string
	wideOnly bool
	fit      fit
	min      int
	rank     int
}

// fitTable collects rows and writes them aligned; by default without the
// wide-only columns and with cells shortened so that no line is longer
// than tableWidth.
type fitTable struct {
	w    io.Writer
	wide bool
	cols []column
	rows [][]string
}

func newFitTable(w io.Writer, wide bool, cols ...column) *fitTable {
	return &fitTable{w: w, wide: wide, cols: cols}
}

// row adds one row; cells are given for every column, wide-only ones too.
func (t *fitTable) row(cells ...string) {
	for i := range cells {
		cells[i] = strings.Join(strings.Fields(cells[i]), " ") // one line
	}
	t.rows = append(t.rows, cells)
}

func (t *fitTable) flush() error {
	var shown []int
	for i, c := range t.cols {
		if t.wide || !c.wideOnly {
			shown = append(shown, i)
		}
	}
	widths := make([]int, len(shown))
	for j, i := range shown {
		widths[j] = cellWidth(t.cols[i].header)
		for _, r := range t.rows {
			widths[j] = max(widths[j], cellWidth(r[i]))
		}
	}
	if !t.wide {
		t.shrink(shown, widths)
	}
	var b strings.Builder
	line := func(cells func(i int) string) {
		b.Reset()
		for j, i := range shown {
			cell := cells(i)
			if cellWidth(cell) > widths[j] {
				cell = shorten(cell, widths[j], t.cols[i].fit)
			}
			b.WriteString(cell)
			if j < len(shown)-1 {
				b.WriteString(strings.Repeat(" ", widths[j]-cellWidth(cell)+2))
			}
		}
		fmt.Fprintln(t.w, strings.TrimRight(b.String(), " "))
	}
	line(func(i int) string { return t.cols[i].header })
	for _, r := range t.rows {
		line(func(i int) string { return r[i] })
	}
	return nil
}

// shrink narrows the shortenable columns, by rank and then from the left
// (a URL before a name, a name before the error, whose cause is wanted
// most), each down to its min, until the table fits tableWidth or nothing
// can give more.
func (t *fitTable) shrink(shown []int, widths []int) {
	total := 2 * (len(widths) - 1)
	for _, w := range widths {
		total += w
	}
	for rank := 0; rank <= maxRank; rank++ {
		for j := 0; j < len(shown) && total > tableWidth; j++ {
			c := t.cols[shown[j]]
			if c.fit == fixed || c.rank != rank {
				continue
			}
			floor := max(c.min, cellWidth(c.header))
			if cut := min(total-tableWidth, widths[j]-floor); cut > 0 {
				widths[j] -= cut
				total -= cut
			}
		}
	}
}

// maxRank is the highest column rank in use.
const maxRank = 2

func cellWidth(s string) int { return utf8.RuneCountInString(s) }

// shorten cuts s to width characters with an ellipsis where the cut is.
func shorten(s string, width int, f fit) string {
	if width < 1 {
		return ""
	}
	if f == keepEnd {
		return keepTail(s, width)
	}
	r := []rune(s)
	return string(r[:width-1]) + "…"
}

// keepTail keeps the end of s in width characters, with a leading
// ellipsis: for errors, whose cause comes last
// ("dial tcp 127.0.0.1:1: connect: connection refused" →
// "…connect: connection refused").
func keepTail(s string, width int) string {
	r := []rune(s)
	if len(r) <= width {
		return s
	}
	if width < 1 {
		return ""
	}
	tail := string(r[len(r)-width+1:])
	// Start at a word rather than in one ("…ect: connection refused"),
	// unless that would give up more than a third of the room.
	if i := strings.IndexByte(tail, ' '); i >= 0 && r[len(r)-width] != ' ' && i < width/3 {
		tail = tail[i:]
	}
	return "…" + strings.TrimLeft(tail, " ")
}
