package realtime

import (
	"context"
	"sync"
	"time"
)

// maxCachedGroups bounds the member sets an instance keeps; past it, one is forgotten at
// random (and loaded again when its group next speaks).
const maxCachedGroups = 20_000

type groupKey struct {
	app   int64
	group string
}

// memberSet is a group's members as of the group event seq seq (their latest change).
type memberSet struct {
	seq   int64
	users []string
}

// memberCache holds the member sets of the groups that spoke lately, so that a group event
// is fanned out to this instance's conns without a query per event. Every event carries the
// seq of its group's latest membership change: a set older than that is loaded again first,
// so that a member removed gets nothing after the event that removed him, whatever the
// order in which instances announce.
type memberCache struct {
	backend Backend
	mu      sync.Mutex
	sets    map[groupKey]memberSet
}

func newMemberCache(b Backend) *memberCache {
	return &memberCache{backend: b, sets: map[groupKey]memberSet{}}
}

// members of the group, as of membersSeq or later; ok is false when they cannot be loaded.
func (m *memberCache) members(appID int64, groupID string, membersSeq int64) (users []string, ok bool, err error) {
	k := groupKey{appID, groupID}
	m.mu.Lock()
	set, found := m.sets[k]
	m.mu.Unlock()
	if found && set.seq >= membersSeq {
		return set.users, true, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seq, loaded, err := m.backend.GroupMembers(ctx, appID, groupID)
	if err != nil {
		return nil, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.sets[k]; ok && cur.seq > seq {
		return cur.users, true, nil // a newer load won meanwhile
	}
	if len(m.sets) >= maxCachedGroups {
		for other := range m.sets {
			delete(m.sets, other)
			break
		}
	}
	m.sets[k] = memberSet{seq: seq, users: loaded}
	return loaded, true, nil
}
