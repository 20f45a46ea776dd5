package guardrails

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeGitHub speaks the part of GitHub's REST API the CI examples use —
// issue comments (listed 100 to a page, created, edited), pull requests
// (listed by head, created, edited) and labels — with GitHub's own refusals:
// 401 without the bearer token, 422 for a body over 65 536 characters and for
// a second open pull request from the same head.
type fakeGitHub struct {
	t     *testing.T
	token string
	owner string
	repo  string

	mu       sync.Mutex
	comments []fakeComment // of every issue
	pulls    []fakePull
	labels   map[int][]string
	requests []string // "METHOD path"
	nextID   int
}

type fakeComment struct {
	ID    int    `json:"id"`
	Issue int    `json:"-"`
	Body  string `json:"body"`
}

type fakePull struct {
	Number int    `json:"number"`
	Title  string `json:"title"`
	Head   string `json:"-"`
	Base   string `json:"-"`
	Body   string `json:"body"`
	State  string `json:"state"`
}

func newFakeGitHub(t *testing.T) (*fakeGitHub, *httptest.Server) {
	f := &fakeGitHub{t: t, token: "ghs_fake", owner: "acme", repo: "fleet", labels: map[int][]string{}, nextID: 1000}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		http.Error(w, `{"message":"Requires authentication"}`, http.StatusUnauthorized)
		return
	}
	prefix := fmt.Sprintf("/repos/%s/%s/", f.owner, f.repo)
	path, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		return
	}
	var in map[string]any
	if r.Method == http.MethodPost || r.Method == http.MethodPatch {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, `{"message":"Problems parsing JSON"}`, http.StatusBadRequest)
			return
		}
		if body, _ := in["body"].(string); len([]rune(body)) > 65536 {
			http.Error(w, `{"message":"Validation Failed","errors":[{"message":"body is too long (maximum is 65536 characters)"}]}`, http.StatusUnprocessableEntity)
			return
		}
	}
	parts := strings.Split(path, "/")
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case len(parts) == 3 && parts[0] == "issues" && parts[2] == "comments" && r.Method == http.MethodGet:
		issue, _ := strconv.Atoi(parts[1])
		perPage, page := 30, 1
		if v, err := strconv.Atoi(r.URL.Query().Get("per_page")); err == nil {
			perPage = min(v, 100)
		}
		if v, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil {
			page = v
		}
		var mine []fakeComment
		for _, c := range f.comments {
			if c.Issue == issue {
				mine = append(mine, c)
			}
		}
		from, to := min((page-1)*perPage, len(mine)), min(page*perPage, len(mine))
		out := mine[from:to]
		if out == nil {
			out = []fakeComment{}
		}
		reply(http.StatusOK, out)
	case len(parts) == 3 && parts[0] == "issues" && parts[2] == "comments" && r.Method == http.MethodPost:
		issue, _ := strconv.Atoi(parts[1])
		f.nextID++
		c := fakeComment{ID: f.nextID, Issue: issue, Body: in["body"].(string)}
		f.comments = append(f.comments, c)
		reply(http.StatusCreated, c)
	case len(parts) == 3 && parts[0] == "issues" && parts[1] == "comments" && r.Method == http.MethodPatch:
		id, _ := strconv.Atoi(parts[2])
		for i := range f.comments {
			if f.comments[i].ID == id {
				f.comments[i].Body = in["body"].(string)
				reply(http.StatusOK, f.comments[i])
				return
			}
		}
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	case len(parts) == 3 && parts[0] == "issues" && parts[2] == "labels" && r.Method == http.MethodPost:
		n, _ := strconv.Atoi(parts[1])
		for _, l := range in["labels"].([]any) {
			f.labels[n] = append(f.labels[n], l.(string))
		}
		reply(http.StatusOK, f.labels[n])
	case path == "pulls" && r.Method == http.MethodGet:
		out := []fakePull{}
		for _, p := range f.pulls {
			if p.State == r.URL.Query().Get("state") && f.owner+":"+p.Head == r.URL.Query().Get("head") {
				out = append(out, p)
			}
		}
		reply(http.StatusOK, out)
	case path == "pulls" && r.Method == http.MethodPost:
		head, _ := in["head"].(string)
		for _, p := range f.pulls {
			if p.Head == head && p.State == "open" {
				http.Error(w, `{"message":"Validation Failed","errors":[{"message":"A pull request already exists for `+f.owner+`:`+head+`."}]}`, http.StatusUnprocessableEntity)
				return
			}
		}
		f.nextID++
		p := fakePull{Number: f.nextID, Title: in["title"].(string), Head: head, Base: in["base"].(string), Body: in["body"].(string), State: "open"}
		f.pulls = append(f.pulls, p)
		reply(http.StatusCreated, p)
	case len(parts) == 2 && parts[0] == "pulls" && r.Method == http.MethodPatch:
		n, _ := strconv.Atoi(parts[1])
		for i := range f.pulls {
			if f.pulls[i].Number == n {
				f.pulls[i].Body = in["body"].(string)
				reply(http.StatusOK, f.pulls[i])
				return
			}
		}
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	default:
		f.t.Errorf("fake GitHub: unexpected %s %s", r.Method, r.URL)
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	}
}
