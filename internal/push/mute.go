package push

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// SetMuted mutes or unmutes the calling IM user's conversation with a user (SINGLE) or a
// group (GROUP): a muted conversation's messages send no offline push to him. The mute is
// the user's own setting, so it needs no check of the target: muting a conversation that
// has no message yet is allowed.
func (s *Service) SetMuted(ctx context.Context, p *auth.Principal, chatType, targetID string, muted bool) error {
	if p == nil || p.Kind != auth.KindIM || p.App == nil {
		return fault.Forbiddenf("an IM user mutes his own conversations")
	}
	switch {
	case chatType != "SINGLE" && chatType != "GROUP":
		return fault.InvalidField("chatType", "must be SINGLE or GROUP")
	case !userIDPattern.MatchString(targetID):
		return fault.InvalidField("targetId", "%q is not a user's or group's id", targetID)
	case chatType == "SINGLE" && targetID == p.UserID:
		return fault.InvalidField("targetId", "must be another user than the caller")
	}
	var err error
	if muted {
		err = s.q.MuteConversation(ctx, db.MuteConversationParams{AppID: p.App.ID, UserID: p.UserID, ChatType: chatType, TargetID: targetID})
	} else {
		err = s.q.UnmuteConversation(ctx, db.UnmuteConversationParams{AppID: p.App.ID, UserID: p.UserID, ChatType: chatType, TargetID: targetID})
	}
	if err != nil {
		return fault.Wrap(err, "mute conversation")
	}
	return nil
}
