package coursecopy

import (
	"context"
	"fmt"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// BenchmarkCopyCourse copies the rich template (17 activities, 20
// questions, gradebook, blocks, files) into a new course per iteration,
// creation included: what create_context does. Moodle's backup and restore
// of the same course takes seconds.
func BenchmarkCopyCourse(b *testing.B) {
	db, _ := richDBB(b)
	ctx := context.Background()
	env := testEnv(b, db)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := db.WithTx(ctx, func(tx *database.Tx) error {
			short := fmt.Sprintf("B%d", i)
			dst, err := moodle.CreateCourse(ctx, tx, env, moodle.NewCourse{Fullname: short, Shortname: short, IDNumber: short, Category: 2, Bare: true})
			if err != nil {
				return err
			}
			_, err = CopyCourse(ctx, tx, env, 2, dst, Options{})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCopyQuiz copies the template's quiz (its questions and bank
// categories) into another course, as duplicate_resource does.
func BenchmarkCopyQuiz(b *testing.B) {
	db, _ := richDBB(b)
	ctx := context.Background()
	env := testEnv(b, db)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := db.WithTx(ctx, func(tx *database.Tx) error {
			_, _, err := CopyModule(ctx, tx, env, tplQuiz, prov1, fmt.Sprintf("b-%d", i), Options{})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
