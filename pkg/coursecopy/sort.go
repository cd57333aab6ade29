package coursecopy

import "sort"

// sortRows orders rows by id.
func sortRows(rows []row) { sortBy(rows, "id") }

// sortBy orders rows by a numeric column, then by id.
func sortBy(rows []row, col string) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i].int(col), rows[j].int(col)
		if a != b {
			return a < b
		}
		return rows[i].int("id") < rows[j].int("id")
	})
}
