package im

import (
	"context"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// checkSpeaker holds when u may post to group groupID now: the owner always; admins unless
// the owner muted them; other members unless they or the whole group are muted. A
// non-member passes here and is refused by the send itself.
func (s *Service) checkSpeaker(ctx context.Context, u User, groupID string) error {
	sp, err := s.q.GetGroupSpeaker(ctx, db.GetGroupSpeakerParams{AppID: u.AppID, GroupID: groupID, UserID: u.UserID})
	switch {
	case noRows(err):
		return nil
	case err != nil:
		return fault.Wrap(err, "load member")
	case sp.Role == RoleOwner:
		return nil
	case sp.MutedUntil != nil && sp.MutedUntil.After(s.now()):
		return fault.Forbiddenf("you are muted in group %s until %s", groupID, sp.MutedUntil.In(s.opts.Location).Format("2006-01-02 15:04:05 MST"))
	case sp.Role == RoleAdmin:
		return nil
	case sp.MutedAll:
		return fault.Forbiddenf("group %s is muted: only its owner and admins may post", groupID)
	}
	return nil
}

// activeMute is until when it is in the future, else nil: a mute that has ended is none.
func (s *Service) activeMute(until *time.Time) *time.Time {
	if until == nil || !until.After(s.now()) {
		return nil
	}
	return until
}

// member is one member of a group as the member list shows him.
func (s *Service) member(ctx context.Context, q *db.Queries, appID int64, groupID, userID string) (Member, error) {
	r, err := q.GetGroupMember(ctx, db.GetGroupMemberParams{AppID: appID, GroupID: groupID, UserID: userID})
	switch {
	case noRows(err):
		return Member{}, fault.NotFoundf("%s is not a member of group %s", userID, groupID)
	case err != nil:
		return Member{}, fault.Wrap(err, "load member")
	}
	return Member{UserID: r.UserID, Nickname: r.Nickname, AvatarURL: r.AvatarUrl, Role: r.Role, JoinedAt: r.JoinedAt, MutedUntil: s.activeMute(r.MutedUntil)}, nil
}

// SetMemberRole makes a member an admin (role ADMIN) or a plain member again (MEMBER); the
// owner only.
func (s *Service) SetMemberRole(ctx context.Context, u User, groupID, userID, role string) (Member, error) {
	if role != RoleAdmin && role != RoleMember {
		return Member{}, fault.InvalidField("role", "must be ADMIN or MEMBER; ownership changes by transfer")
	}
	var m Member
	err := s.groupTx(ctx, func(q *db.Queries, out *outbox) error {
		g, _, err := s.lockedGroup(ctx, q, u, groupID)
		if err != nil {
			return err
		}
		if g.CallerRole != RoleOwner {
			return fault.Forbiddenf("only the owner of group %s may appoint or remove admins", groupID)
		}
		if m, err = s.member(ctx, q, u.AppID, groupID, userID); err != nil {
			return err
		}
		switch m.Role {
		case RoleOwner:
			return fault.Forbiddenf("you are the owner of group %s: to step down, transfer the group to another member", groupID)
		case role:
			return nil
		}
		if _, err := q.SetGroupMemberRole(ctx, db.SetGroupMemberRoleParams{AppID: u.AppID, GroupID: groupID, UserID: userID, Role: role}); err != nil {
			return fault.Wrap(err, "set role")
		}
		m.Role = role
		gi := groupInfo(g)
		e := groupEvent{GroupID: groupID, Event: groupRoleChanged, UserIDs: []string{userID}, Role: role, Group: &gi}
		seq, err := s.notice(ctx, q, out, u, e, false, nil)
		if err != nil {
			return err
		}
		e.GroupSeq = seq
		return s.memberEvent(ctx, q, out, u, e, []string{userID})
	})
	return m, err
}

// TransferOwner hands the group to another member, who becomes its owner; the old owner
// stays as a plain member, as in Tencent Cloud IM and OpenIM. The owner only.
func (s *Service) TransferOwner(ctx context.Context, u User, groupID, userID string) (GroupInfo, error) {
	if userID == u.UserID {
		return GroupInfo{}, fault.InvalidField("userId", "must be another member than you, the owner")
	}
	var gi GroupInfo
	err := s.groupTx(ctx, func(q *db.Queries, out *outbox) error {
		g, _, err := s.lockedGroup(ctx, q, u, groupID)
		if err != nil {
			return err
		}
		if g.CallerRole != RoleOwner {
			return fault.Forbiddenf("only the owner of group %s may transfer it", groupID)
		}
		if _, err := s.member(ctx, q, u.AppID, groupID, userID); err != nil {
			return err
		}
		for _, r := range []db.SetGroupMemberRoleParams{
			{AppID: u.AppID, GroupID: groupID, UserID: userID, Role: RoleOwner},
			{AppID: u.AppID, GroupID: groupID, UserID: u.UserID, Role: RoleMember},
		} {
			if _, err := q.SetGroupMemberRole(ctx, r); err != nil {
				return fault.Wrap(err, "set role")
			}
		}
		if err := q.SetGroupOwner(ctx, db.SetGroupOwnerParams{AppID: u.AppID, GroupID: groupID, OwnerID: userID}); err != nil {
			return fault.Wrap(err, "set owner")
		}
		if g, err = s.loadGroup(ctx, q, u, groupID); err != nil {
			return err
		}
		gi = groupInfo(g)
		e := groupEvent{GroupID: groupID, Event: groupOwnerTransferred, UserIDs: []string{userID, u.UserID}, Group: &gi}
		seq, err := s.notice(ctx, q, out, u, e, false, nil)
		if err != nil {
			return err
		}
		e.GroupSeq = seq
		return s.memberEvent(ctx, q, out, u, e, []string{userID, u.UserID})
	})
	return viewerInfo(gi, true), err
}

// mayMute checks that u (of role callerRole) may mute or unmute a member of role target: the
// owner anyone but himself, an admin plain members.
func mayMute(groupID, callerRole, target, userID string) error {
	switch {
	case callerRole != RoleOwner && callerRole != RoleAdmin:
		return fault.Forbiddenf("only the owner or an admin of group %s may mute its members", groupID)
	case target == RoleOwner:
		return fault.Forbiddenf("%s owns group %s and cannot be muted", userID, groupID)
	case callerRole == RoleAdmin && target == RoleAdmin:
		return fault.Forbiddenf("%s is an admin of group %s: only the owner may mute admins", userID, groupID)
	}
	return nil
}

// MuteMember stops a member from posting to the group until until (nil: lifts his mute).
func (s *Service) MuteMember(ctx context.Context, u User, groupID, userID string, until *time.Time) (Member, error) {
	if until != nil && !until.After(s.now()) {
		return Member{}, fault.InvalidField("mutedUntil", "must be in the future")
	}
	var m Member
	err := s.groupTx(ctx, func(q *db.Queries, out *outbox) error {
		g, _, err := s.lockedGroup(ctx, q, u, groupID)
		if err != nil {
			return err
		}
		if g.CallerRole == "" {
			return fault.Forbiddenf("you are not a member of group %s", groupID)
		}
		if m, err = s.member(ctx, q, u.AppID, groupID, userID); err != nil {
			return err
		}
		if err := mayMute(groupID, g.CallerRole, m.Role, userID); err != nil {
			return err
		}
		if until == nil && m.MutedUntil == nil {
			return nil // not muted: nothing to tell
		}
		if _, err := q.SetGroupMemberMute(ctx, db.SetGroupMemberMuteParams{AppID: u.AppID, GroupID: groupID, UserID: userID, MutedUntil: until}); err != nil {
			return fault.Wrap(err, "set mute")
		}
		m.MutedUntil = until
		e := groupEvent{GroupID: groupID, Event: groupMemberMuted, UserIDs: []string{userID}, MutedUntil: until}
		if until == nil {
			e.Event = groupMemberUnmuted
		}
		_, err = s.notice(ctx, q, out, u, e, false, nil)
		return err
	})
	return m, err
}

// MuteGroup mutes the whole group (only its owner and admins may post) or, with muted
// false, unmutes it; its owner and admins only.
func (s *Service) MuteGroup(ctx context.Context, u User, groupID string, muted bool) (GroupInfo, error) {
	var gi GroupInfo
	err := s.groupTx(ctx, func(q *db.Queries, out *outbox) error {
		g, _, err := s.lockedGroup(ctx, q, u, groupID)
		if err != nil {
			return err
		}
		if g.CallerRole != RoleOwner && g.CallerRole != RoleAdmin {
			return fault.Forbiddenf("only the owner or an admin of group %s may mute or unmute it", groupID)
		}
		gi = groupInfo(g)
		if g.MutedAll == muted {
			return nil
		}
		if err := q.SetGroupRules(ctx, db.SetGroupRulesParams{AppID: u.AppID, GroupID: groupID, MutedAll: &muted}); err != nil {
			return fault.Wrap(err, "set mute")
		}
		gi.MutedAll = muted
		e := groupEvent{GroupID: groupID, Event: groupMuted, Group: &gi}
		if !muted {
			e.Event = groupUnmuted
		}
		_, err = s.notice(ctx, q, out, u, e, false, nil)
		return err
	})
	return viewerInfo(gi, true), err
}
