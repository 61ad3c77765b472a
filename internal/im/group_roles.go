package im

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// checkSpeaker holds when u may post to group groupID now: the owner and admins always, other
// members unless they or the whole group are muted. A non-member passes here and is refused
// by the send itself.
func (s *Service) checkSpeaker(ctx context.Context, u User, groupID string) error {
	sp, err := s.q.GetGroupSpeaker(ctx, db.GetGroupSpeakerParams{AppID: u.AppID, GroupID: groupID, UserID: u.UserID})
	switch {
	case noRows(err):
		return nil
	case err != nil:
		return fault.Wrap(err, "load member")
	case sp.Role == RoleOwner || sp.Role == RoleAdmin:
		return nil
	case sp.MutedAll:
		return fault.Forbiddenf("group %s is muted: only its owner and admins may post", groupID)
	case sp.MutedUntil != nil && sp.MutedUntil.After(s.now()):
		return fault.Forbiddenf("you are muted in group %s until %s", groupID, sp.MutedUntil.In(s.opts.Location).Format("2006-01-02 15:04:05 MST"))
	}
	return nil
}
