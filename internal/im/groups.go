package im

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)

// Group events (GroupEvent.event).
const (
	groupCreated       = "CREATED"
	groupMembersAdded  = "MEMBERS_ADDED"
	groupMemberRemoved = "MEMBER_REMOVED"
	groupMemberLeft    = "MEMBER_LEFT"
	groupUpdated       = "UPDATED"
	groupDissolved     = "DISSOLVED"
)

// loadGroup is a live group and the caller's role in it ("" when not a member).
func (s *Service) loadGroup(ctx context.Context, q *db.Queries, u User, groupID string) (db.GetGroupRow, error) {
	g, err := q.GetGroup(ctx, db.GetGroupParams{AppID: u.AppID, GroupID: groupID, UserID: u.UserID})
	switch {
	case noRows(err) || (err == nil && g.DissolvedAt != nil):
		return g, fault.NotFoundf("group %s does not exist", groupID)
	case err != nil:
		return g, fault.Wrap(err, "load group")
	}
	return g, nil
}

// checkMember holds when the group exists and u is in it.
func (s *Service) checkMember(ctx context.Context, u User, groupID string) error {
	g, err := s.loadGroup(ctx, s.q, u, groupID)
	if err != nil {
		return err
	}
	if g.CallerRole == "" {
		return fault.Forbiddenf("you are not a member of group %s", groupID)
	}
	return nil
}

func groupInfo(g db.GetGroupRow) GroupInfo {
	return GroupInfo{GroupID: g.GroupID, Name: g.Name, AvatarURL: g.AvatarUrl, Notice: g.Notice, OwnerID: g.OwnerID,
		MemberCount: g.MemberCount, Public: g.Public, JoinPolicy: g.JoinPolicy, MutedAll: g.MutedAll, CreatedAt: g.CreatedAt}
}

// viewerInfo adds joinable for the caller.
func viewerInfo(g GroupInfo, member bool) GroupInfo {
	joinable := g.Public && !member && g.JoinPolicy != JoinClosed
	g.Joinable = &joinable
	return g
}

// otherIDs are ids without self and repeats, each checked against the id pattern.
func otherIDs(field string, ids []string, self string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for i, id := range ids {
		if !idPattern.MatchString(id) {
			return nil, fault.InvalidField(field+"["+strconv.Itoa(i)+"]", "must be a user id (1 to 64 of A-Z a-z 0-9 _ . @ -)")
		}
		if id != self && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// checkAccounts holds when every id is a live account of the app.
func checkAccounts(ctx context.Context, q *db.Queries, appID int64, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	live, err := q.LookupLiveAccounts(ctx, db.LookupLiveAccountsParams{AppID: appID, UserIds: ids})
	if err != nil {
		return fault.Wrap(err, "load accounts")
	}
	var missing []string
	for _, id := range ids {
		if !slices.Contains(live, id) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return fault.NotFoundf("not accounts of this app: %s", strings.Join(missing, ", "))
	}
	return nil
}

// checkJoinPolicy holds for the join policies and, when empty is true, for "".
func checkJoinPolicy(p string) error {
	switch p {
	case JoinFree, JoinApproval, JoinClosed:
		return nil
	}
	return fault.InvalidField("joinPolicy", "must be FREE, APPROVAL or CLOSED")
}

// fullGroup is the refusal of members beyond the group limit.
func (s *Service) fullGroup(groupID string, members, more int) error {
	return fault.Forbiddenf("group %s is full: a group has at most %d members, and %d more would make %d",
		groupID, s.opts.GroupMaxMembers, more, members+more)
}

// CreateGroup creates a group owned by the caller with the given first members.
func (s *Service) CreateGroup(ctx context.Context, u User, in GroupCreate) (GroupInfo, error) {
	if in.JoinPolicy == "" {
		in.JoinPolicy = JoinApproval
	}
	switch {
	case in.GroupID != "" && !idPattern.MatchString(in.GroupID):
		return GroupInfo{}, fault.InvalidField("groupId", "must be 1 to 64 of A-Z a-z 0-9 _ . @ -")
	case strings.TrimSpace(in.Name) == "" || utf8.RuneCountInString(in.Name) > 64:
		return GroupInfo{}, fault.InvalidField("name", "must be 1 to 64 characters long")
	case len(in.MemberIDs) > 500:
		return GroupInfo{}, fault.InvalidField("memberIds", "must hold at most 500 users")
	}
	if err := checkJoinPolicy(in.JoinPolicy); err != nil {
		return GroupInfo{}, err
	}
	others, err := otherIDs("memberIds", in.MemberIDs, u.UserID)
	if err != nil {
		return GroupInfo{}, err
	}
	if len(others)+1 > int(s.opts.GroupMaxMembers) {
		return GroupInfo{}, s.fullGroup(or(in.GroupID, "(new)"), 1, len(others))
	}
	groupID := in.GroupID
	if groupID == "" {
		groupID = "g_" + auth.RandomHex(8)
	}
	var g GroupInfo
	err = s.inTx(ctx, func(q *db.Queries, out *outbox) error {
		if err := checkAccounts(ctx, q, u.AppID, others); err != nil {
			return err
		}
		if err := s.checkInvitable(ctx, q, u, others); err != nil {
			return err
		}
		n, err := q.InsertGroup(ctx, db.InsertGroupParams{AppID: u.AppID, GroupID: groupID, Name: in.Name, AvatarUrl: in.AvatarURL,
			Notice: in.Notice, OwnerID: u.UserID, Public: in.Public, JoinPolicy: in.JoinPolicy, MemberCount: int32(len(others) + 1)})
		if err != nil {
			return fault.Wrap(err, "create group")
		}
		if n == 0 {
			return fault.Conflictf("the app has a group %s already", groupID)
		}
		chat, err := q.EnsureChat(ctx, db.EnsureChatParams{AppID: u.AppID, ChatType: string(Group), ChatKey: groupID})
		if err != nil {
			return fault.Wrap(err, "create chat")
		}
		// The first members join at the group's start: seq 0.
		if _, err := q.AddGroupMembers(ctx, db.AddGroupMembersParams{AppID: u.AppID, GroupID: groupID, Role: RoleOwner, UserIds: []string{u.UserID}}); err != nil {
			return fault.Wrap(err, "add owner")
		}
		if _, err := q.AddGroupMembers(ctx, db.AddGroupMembersParams{AppID: u.AppID, GroupID: groupID, Role: RoleMember, UserIds: others}); err != nil {
			return fault.Wrap(err, "add members")
		}
		all := append([]string{u.UserID}, others...)
		if err := q.InsertConversations(ctx, db.InsertConversationsParams{AppID: u.AppID, ChatType: string(Group), TargetID: groupID, ChatID: chat.ID, ReadSeq: chat.LastSeq, UserIds: all}); err != nil {
			return fault.Wrap(err, "create conversations")
		}
		row, err := s.loadGroup(ctx, q, u, groupID)
		if err != nil {
			return err
		}
		g = groupInfo(row)
		out.notify(u.AppID, WebhookGroupCreated, map[string]any{"groupId": g.GroupID, "name": g.Name, "ownerId": g.OwnerID})
		return s.memberEvent(ctx, q, out, u, groupEvent{GroupID: groupID, Event: groupCreated, UserIDs: all, Group: &g}, all)
	})
	return g, err
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// memberEvent stores group.event e about users' own membership or role (joined, left,
// removed, role, dissolved) on the recipients' own event streams; e.GroupSeq is the group
// event seq of the change (0: the group's start).
func (s *Service) memberEvent(ctx context.Context, q *db.Queries, out *outbox, u User, e groupEvent, recipients []string) error {
	if e.UserIDs == nil {
		e.UserIDs = []string{}
	}
	e.OperatorID = u.UserID
	data, err := json.Marshal(e)
	if err != nil {
		return fault.Wrap(err, "encode group event")
	}
	return s.store(ctx, q, out, u.AppID, EventGroup, sortedCopy(recipients), nil, data)
}

func sortedCopy(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// Group is a group the caller is in, or a public one.
func (s *Service) Group(ctx context.Context, u User, groupID string) (GroupInfo, error) {
	g, err := s.loadGroup(ctx, s.q, u, groupID)
	if err != nil {
		return GroupInfo{}, err
	}
	if g.CallerRole == "" && !g.Public {
		return GroupInfo{}, fault.Forbiddenf("group %s is neither public nor yours", groupID)
	}
	return viewerInfo(groupInfo(g), g.CallerRole != ""), nil
}

// UpdateGroup changes a group; its owner and admins only.
func (s *Service) UpdateGroup(ctx context.Context, u User, groupID string, in GroupUpdate) (GroupInfo, error) {
	if in.Name != nil && (strings.TrimSpace(*in.Name) == "" || utf8.RuneCountInString(*in.Name) > 64) {
		return GroupInfo{}, fault.InvalidField("name", "must be 1 to 64 characters long")
	}
	if in.JoinPolicy != nil {
		if err := checkJoinPolicy(*in.JoinPolicy); err != nil {
			return GroupInfo{}, err
		}
	}
	var g GroupInfo
	err := s.groupTx(ctx, func(q *db.Queries, out *outbox) error {
		row, _, err := s.lockedGroup(ctx, q, u, groupID)
		if err != nil {
			return err
		}
		if row.CallerRole != RoleOwner && row.CallerRole != RoleAdmin {
			return fault.Forbiddenf("only the owner or an admin of group %s may change it", groupID)
		}
		event := groupUpdated
		if in.Name != nil && *in.Name != row.Name {
			event = groupRenamed
		}
		if err := q.UpdateGroup(ctx, db.UpdateGroupParams{AppID: u.AppID, GroupID: groupID, Name: in.Name, AvatarUrl: in.AvatarURL,
			Notice: in.Notice, Public: in.Public, JoinPolicy: in.JoinPolicy}); err != nil {
			return fault.Wrap(err, "update group")
		}
		if row, err = s.loadGroup(ctx, q, u, groupID); err != nil {
			return err
		}
		g = groupInfo(row)
		_, err = s.notice(ctx, q, out, u, groupEvent{GroupID: groupID, Event: event, Group: &g}, false, nil)
		return err
	})
	return viewerInfo(g, true), err
}

// DissolveGroup ends a group; its owner only. Its history can no longer be read.
func (s *Service) DissolveGroup(ctx context.Context, u User, groupID string) error {
	var g db.GetGroupRow
	err := s.groupTx(ctx, func(q *db.Queries, out *outbox) error {
		var err error
		if g, _, err = s.lockedGroup(ctx, q, u, groupID); err != nil {
			return err
		}
		if g.CallerRole != RoleOwner {
			return fault.Forbiddenf("only the owner of group %s may dissolve it", groupID)
		}
		out.notify(u.AppID, WebhookGroupDissolved, map[string]any{"groupId": groupID, "name": g.Name, "ownerId": g.OwnerID})
		return s.dissolve(ctx, q, out, u, groupID)
	})
	return err
}

// dissolve ends a group whose chat the transaction has locked: the last NOTIFY message of
// its history while its members are still in it, then every member's DISSOLVED on his own
// stream, after which none of them is in the group. u is the owner, or nobody (an admin).
func (s *Service) dissolve(ctx context.Context, q *db.Queries, out *outbox, u User, groupID string) error {
	e := groupEvent{GroupID: groupID, Event: groupDissolved, OperatorID: u.UserID}
	seq, err := s.notifyMessage(ctx, q, out, u, e, s.noticeText(e))
	if err != nil {
		return err
	}
	members, err := q.ListGroupMemberIDs(ctx, db.ListGroupMemberIDsParams{AppID: u.AppID, GroupID: groupID})
	if err != nil {
		return fault.Wrap(err, "load members")
	}
	if err := q.DissolveGroup(ctx, db.DissolveGroupParams{AppID: u.AppID, GroupID: groupID}); err != nil {
		return fault.Wrap(err, "dissolve group")
	}
	if err := q.RemoveAllGroupMembers(ctx, db.RemoveAllGroupMembersParams{AppID: u.AppID, GroupID: groupID}); err != nil {
		return fault.Wrap(err, "remove members")
	}
	if err := q.DeleteAllGroupConversations(ctx, db.DeleteAllGroupConversationsParams{AppID: u.AppID, GroupID: groupID}); err != nil {
		return fault.Wrap(err, "remove conversations")
	}
	e.GroupSeq = seq
	return s.memberEvent(ctx, q, out, u, e, members)
}

// AddMembers adds users to a group; any member may invite, whatever the join policy.
// Members already in are ignored; more than the group has room for are refused.
func (s *Service) AddMembers(ctx context.Context, u User, groupID string, ids []string) (GroupInfo, error) {
	if len(ids) == 0 || len(ids) > 500 {
		return GroupInfo{}, fault.InvalidField("memberIds", "must hold 1 to 500 users")
	}
	others, err := otherIDs("memberIds", ids, u.UserID)
	if err != nil {
		return GroupInfo{}, err
	}
	var g GroupInfo
	var added []string
	err = s.groupTx(ctx, func(q *db.Queries, out *outbox) error {
		row, _, err := s.lockedGroup(ctx, q, u, groupID)
		if err != nil {
			return err
		}
		if row.CallerRole == "" {
			return fault.Forbiddenf("you are not a member of group %s", groupID)
		}
		if err := checkAccounts(ctx, q, u.AppID, others); err != nil {
			return err
		}
		if err := s.checkInvitable(ctx, q, u, others); err != nil {
			return err
		}
		if added, g, err = s.join(ctx, q, out, u, groupID, others); err != nil {
			return err
		}
		if len(added) == 0 { // all of them were in already
			g = groupInfo(row)
		} else {
			s.membersChanged(out, u, groupID, added, nil)
		}
		return nil
	})
	return viewerInfo(g, true), err
}

// join makes users members of a group whose chat the transaction has locked, within the
// member limit, and tells the group: MEMBERS_ADDED on the group's stream for those in it
// already, and on their own streams for the new ones (who join at that event), then the
// NOTIFY message. It returns the users who were not members yet, and the group after it.
func (s *Service) join(ctx context.Context, q *db.Queries, out *outbox, u User, groupID string, users []string) ([]string, GroupInfo, error) {
	locked, err := s.lockedChat(ctx, q, u.AppID, groupID)
	if err != nil {
		return nil, GroupInfo{}, err
	}
	// They join at the group event that adds them, the next one: the chat is locked.
	joined := locked.EventSeq + 1
	added, err := q.AddGroupMembers(ctx, db.AddGroupMembersParams{AppID: u.AppID, GroupID: groupID, Role: RoleMember, JoinedSeq: joined, UserIds: users})
	if err != nil {
		return nil, GroupInfo{}, fault.Wrap(err, "add members")
	}
	if len(added) == 0 {
		return nil, GroupInfo{}, nil
	}
	// New members start with everything so far read, the NOTIFY message of their joining
	// (the next message) included.
	if err := q.InsertConversations(ctx, db.InsertConversationsParams{AppID: u.AppID, ChatType: string(Group), TargetID: groupID, ChatID: locked.ID, ReadSeq: locked.LastSeq + 1, UserIds: added}); err != nil {
		return nil, GroupInfo{}, fault.Wrap(err, "create conversations")
	}
	if err := q.RecountGroupMembers(ctx, db.RecountGroupMembersParams{AppID: u.AppID, GroupID: groupID}); err != nil {
		return nil, GroupInfo{}, fault.Wrap(err, "count members")
	}
	row, err := s.loadGroup(ctx, q, u, groupID)
	if err != nil {
		return nil, GroupInfo{}, err
	}
	if row.MemberCount > s.opts.GroupMaxMembers { // the transaction is rolled back
		return nil, GroupInfo{}, s.fullGroup(groupID, int(row.MemberCount)-len(added), len(added))
	}
	g := groupInfo(row)
	e := groupEvent{GroupID: groupID, Event: groupMembersAdded, UserIDs: added, Group: &g}
	// The NOTIFY message comes after their joining: they see it in the history too.
	seq, err := s.notice(ctx, q, out, u, e, true, added)
	if err != nil {
		return nil, GroupInfo{}, err
	}
	if seq != joined {
		return nil, GroupInfo{}, fault.Wrap(fmt.Errorf("group event seq %d, want %d", seq, joined), "add members")
	}
	e.GroupSeq = seq
	if err := s.memberEvent(ctx, q, out, u, e, added); err != nil {
		return nil, GroupInfo{}, err
	}
	return added, g, nil
}

// lockedChat is the group's chat row, locked (again: a transaction holds it already).
func (s *Service) lockedChat(ctx context.Context, q *db.Queries, appID int64, groupID string) (db.LockChatRow, error) {
	chat, err := q.EnsureChat(ctx, db.EnsureChatParams{AppID: appID, ChatType: string(Group), ChatKey: groupID})
	if err != nil {
		return db.LockChatRow{}, fault.Wrap(err, "load chat")
	}
	locked, err := q.LockChat(ctx, chat.ID)
	if err != nil {
		return db.LockChatRow{}, fault.Wrap(err, "lock chat")
	}
	return locked, nil
}

// RemoveMember removes userID from a group (the owner anyone, an admin plain members), or,
// when userID is the caller, lets him leave; the owner cannot leave.
func (s *Service) RemoveMember(ctx context.Context, u User, groupID, userID string) error {
	err := s.groupTx(ctx, func(q *db.Queries, out *outbox) error {
		row, _, err := s.lockedGroup(ctx, q, u, groupID)
		if err != nil {
			return err
		}
		if row.CallerRole == "" {
			return fault.Forbiddenf("you are not a member of group %s", groupID)
		}
		event := groupMemberRemoved
		if userID == u.UserID {
			if row.CallerRole == RoleOwner {
				return fault.Forbiddenf("the owner cannot leave group %s; transfer it to another member or dissolve it", groupID)
			}
			event = groupMemberLeft
		} else {
			role, err := q.GetGroupMemberRole(ctx, db.GetGroupMemberRoleParams{AppID: u.AppID, GroupID: groupID, UserID: userID})
			switch {
			case noRows(err):
				return fault.NotFoundf("%s is not a member of group %s", userID, groupID)
			case err != nil:
				return fault.Wrap(err, "load role")
			case row.CallerRole == RoleOwner, row.CallerRole == RoleAdmin && role == RoleMember:
			default:
				return fault.Forbiddenf("you may not remove %s from group %s: the owner removes anyone, an admin plain members", userID, groupID)
			}
		}
		if _, err := q.RemoveGroupMember(ctx, db.RemoveGroupMemberParams{AppID: u.AppID, GroupID: groupID, UserID: userID}); err != nil {
			return fault.Wrap(err, "remove member")
		}
		if err := q.DeleteGroupConversations(ctx, db.DeleteGroupConversationsParams{AppID: u.AppID, GroupID: groupID, UserIds: []string{userID}}); err != nil {
			return fault.Wrap(err, "remove conversation")
		}
		if err := q.RecountGroupMembers(ctx, db.RecountGroupMembersParams{AppID: u.AppID, GroupID: groupID}); err != nil {
			return fault.Wrap(err, "count members")
		}
		if row, err = s.loadGroup(ctx, q, u, groupID); err != nil {
			return err
		}
		g := groupInfo(row)
		// The others see it on the group's stream (and its NOTIFY after it, which he does
		// not get), and he on his own, the last he gets of it.
		e := groupEvent{GroupID: groupID, Event: event, UserIDs: []string{userID}, Group: &g}
		seq, err := s.notice(ctx, q, out, u, e, true, nil)
		if err != nil {
			return err
		}
		e.GroupSeq = seq
		s.membersChanged(out, u, groupID, nil, []string{userID})
		return s.memberEvent(ctx, q, out, u, e, []string{userID})
	})
	return err
}

// MyGroups are the groups the caller is in, the newest first.
func (s *Service) MyGroups(ctx context.Context, u User, p page.Request) (page.Page[GroupInfo], error) {
	out := page.Of[GroupInfo](p, nil, 0)
	var err error
	if out.Total, err = s.q.CountMyGroups(ctx, db.CountMyGroupsParams{AppID: u.AppID, UserID: u.UserID}); err != nil {
		return out, fault.Wrap(err, "count groups")
	}
	rows, err := s.q.ListMyGroups(ctx, db.ListMyGroupsParams{AppID: u.AppID, UserID: u.UserID, SkipRows: p.Offset(), MaxRows: p.Limit()})
	if err != nil {
		return out, fault.Wrap(err, "load groups")
	}
	for _, r := range rows {
		out.Items = append(out.Items, viewerInfo(GroupInfo{GroupID: r.GroupID, Name: r.Name, AvatarURL: r.AvatarUrl, Notice: r.Notice,
			OwnerID: r.OwnerID, MemberCount: r.MemberCount, Public: r.Public, JoinPolicy: r.JoinPolicy, MutedAll: r.MutedAll, CreatedAt: r.CreatedAt}, true))
	}
	return out, nil
}

// PublicGroups are the app's public groups, those whose id or name contains keyword when
// one is given, the largest first.
func (s *Service) PublicGroups(ctx context.Context, u User, keyword string, p page.Request) (page.Page[GroupInfo], error) {
	out := page.Of[GroupInfo](p, nil, 0)
	var kw *string
	if keyword = strings.TrimSpace(keyword); keyword != "" {
		k := postgres.EscapeLike(strings.ToLower(keyword))
		kw = &k
	}
	var err error
	if out.Total, err = s.q.CountPublicGroups(ctx, db.CountPublicGroupsParams{AppID: u.AppID, Keyword: kw}); err != nil {
		return out, fault.Wrap(err, "count groups")
	}
	rows, err := s.q.ListPublicGroups(ctx, db.ListPublicGroupsParams{AppID: u.AppID, UserID: u.UserID, Keyword: kw, SkipRows: p.Offset(), MaxRows: p.Limit()})
	if err != nil {
		return out, fault.Wrap(err, "load groups")
	}
	for _, r := range rows {
		out.Items = append(out.Items, viewerInfo(GroupInfo{GroupID: r.GroupID, Name: r.Name, AvatarURL: r.AvatarUrl, Notice: r.Notice,
			OwnerID: r.OwnerID, MemberCount: r.MemberCount, Public: r.Public, JoinPolicy: r.JoinPolicy, MutedAll: r.MutedAll, CreatedAt: r.CreatedAt}, r.IsMember))
	}
	return out, nil
}

// SearchGroups finds public groups and the caller's own by id or name, his own first.
func (s *Service) SearchGroups(ctx context.Context, u User, keyword string, p page.Request) (page.Page[GroupInfo], error) {
	out := page.Of[GroupInfo](p, nil, 0)
	if keyword = strings.TrimSpace(keyword); keyword == "" {
		return out, fault.InvalidField("keyword", "must not be empty")
	}
	kw := postgres.EscapeLike(strings.ToLower(keyword))
	var err error
	if out.Total, err = s.q.CountSearchGroups(ctx, db.CountSearchGroupsParams{AppID: u.AppID, UserID: u.UserID, Keyword: kw}); err != nil {
		return out, fault.Wrap(err, "count groups")
	}
	rows, err := s.q.SearchGroups(ctx, db.SearchGroupsParams{AppID: u.AppID, UserID: u.UserID, Keyword: kw, SkipRows: p.Offset(), MaxRows: p.Limit()})
	if err != nil {
		return out, fault.Wrap(err, "search groups")
	}
	for _, r := range rows {
		out.Items = append(out.Items, viewerInfo(GroupInfo{GroupID: r.GroupID, Name: r.Name, AvatarURL: r.AvatarUrl, Notice: r.Notice,
			OwnerID: r.OwnerID, MemberCount: r.MemberCount, Public: r.Public, JoinPolicy: r.JoinPolicy, MutedAll: r.MutedAll, CreatedAt: r.CreatedAt}, r.IsMember))
	}
	return out, nil
}

// Members lists a group's members (members only), keyword filtering on id and nickname.
func (s *Service) Members(ctx context.Context, u User, groupID, keyword string, p page.Request) (page.Page[Member], error) {
	out := page.Of[Member](p, nil, 0)
	if err := s.checkMember(ctx, u, groupID); err != nil {
		return out, err
	}
	var kw *string
	if keyword = strings.TrimSpace(keyword); keyword != "" {
		k := postgres.EscapeLike(strings.ToLower(keyword))
		kw = &k
	}
	var err error
	if out.Total, err = s.q.CountGroupMembers(ctx, db.CountGroupMembersParams{AppID: u.AppID, GroupID: groupID, Keyword: kw}); err != nil {
		return out, fault.Wrap(err, "count members")
	}
	rows, err := s.q.ListGroupMembers(ctx, db.ListGroupMembersParams{AppID: u.AppID, GroupID: groupID, Keyword: kw, SkipRows: p.Offset(), MaxRows: p.Limit()})
	if err != nil {
		return out, fault.Wrap(err, "load members")
	}
	for _, r := range rows {
		out.Items = append(out.Items, Member{UserID: r.UserID, Nickname: r.Nickname, AvatarURL: r.AvatarUrl, Role: r.Role, JoinedAt: r.JoinedAt, MutedUntil: s.activeMute(r.MutedUntil)})
	}
	return out, nil
}
