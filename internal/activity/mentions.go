package activity

import (
	"context"
	"regexp"
	"strings"

	"steward/internal/notify"
	"steward/internal/store"
)

// mention is "@" and an e-mail address, or "@" and the part of one
// before its own "@" (@jane.doe for jane.doe@example.com).
var mention = regexp.MustCompile(`(?:^|[\s(,;])@([A-Za-z0-9._%+-]+(?:@[A-Za-z0-9.-]+\.[A-Za-z]{2,})?)`)

// maxMentions bounds the people one comment can call.
const maxMentions = 20

// Mentioned finds the active staff a text names with "@": by whole
// e-mail address, or by the part before the "@" when only one active
// staff member's address starts so. Names that fit nobody, or several
// people, are left alone.
func Mentioned(ctx context.Context, q store.Querier, text string) ([]int64, error) {
	var out []int64
	seen := map[string]bool{}
	for _, m := range mention.FindAllStringSubmatch(text, -1) {
		name := strings.ToLower(strings.TrimRight(m[1], "."))
		if name == "" || seen[name] || len(seen) >= maxMentions {
			continue
		}
		seen[name] = true
		where, arg := `LOWER(email) = ?`, name
		if !strings.Contains(name, "@") {
			where, arg = `LOWER(email) LIKE ? ESCAPE '\'`, likeEscape(name)+"@%"
		}
		rows, err := q.Query(ctx, `SELECT id FROM users WHERE active AND role IN ('admin', 'agent') AND `+where+` LIMIT 2`, arg)
		if err != nil {
			return nil, err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if len(ids) == 1 {
			out = append(out, ids[0])
		}
	}
	return out, nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Mention notifies the staff a comment by authorID names, except the
// author, inside the comment's transaction.
func Mention(ctx context.Context, tx *store.Tx, authorID int64, author, text, number, title, link string) error {
	ids, err := Mentioned(ctx, tx, text)
	if err != nil || len(ids) == 0 {
		return err
	}
	to := ids[:0]
	for _, id := range ids {
		if id != authorID {
			to = append(to, id)
		}
	}
	ex := excerpt(text)
	return notify.AddWith(ctx, tx, to, KindMentioned, author+" mentioned you on "+number+" "+title,
		ex, link, map[string]string{"number": number, "title": title, "who": author, "excerpt": ex})
}

func excerpt(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 280 {
		return string(r[:279]) + "…"
	}
	return s
}
