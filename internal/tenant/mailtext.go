package tenant

import (
	"fmt"

	"github.com/xuqmgroup/xuqm/internal/mail"
)

// The platform's mail, in Chinese and English in one message: the reader's language is not
// known when an address is all there is.

const signature = "\n\n—— XuqmGroup\n(此邮件由系统自动发送,请勿回复。This mail was sent automatically; do not reply.)\n"

var codeSubjects = map[string]string{
	PurposeRegister:      "XuqmGroup 注册验证码 / Your sign-up code",
	PurposeResetPassword: "XuqmGroup 重置密码验证码 / Your password reset code",
	PurposeSubAccount:    "XuqmGroup 子账号邮箱验证码 / Your sub-account verification code",
}

var codeReasons = map[string][2]string{
	PurposeRegister:      {"您正在注册 XuqmGroup 账号。", "You are signing up for a XuqmGroup account."},
	PurposeResetPassword: {"您正在重置 XuqmGroup 账号的密码。", "You are resetting the password of your XuqmGroup account."},
	PurposeSubAccount:    {"有团队正在以此邮箱创建 XuqmGroup 子账号。", "A team is creating a XuqmGroup sub-account with this address."},
}

func codeMail(to, purpose, code string) mail.Message {
	why := codeReasons[purpose]
	body := fmt.Sprintf("%s\n您的验证码是:%s\n验证码 %d 分钟内有效,只能使用一次。如果这不是您本人的操作,请忽略此邮件。\n\n"+
		"%s\nYour verification code is: %s\nIt is valid for %d minutes and can be used once. If you did not ask for it, ignore this mail.",
		why[0], code, int(CodeTTL.Minutes()), why[1], code, int(CodeTTL.Minutes()))
	return mail.Message{To: to, Subject: codeSubjects[purpose], Body: body + signature}
}

func resetMail(to, token string) mail.Message {
	body := fmt.Sprintf("您申请了重置 XuqmGroup 账号的密码。\n重置令牌:%s\n请在 %d 分钟内使用它设置新密码(POST /api/auth/reset-password),令牌只能使用一次。"+
		"如果这不是您本人的操作,请忽略此邮件,您的密码不会改变。\n\n"+
		"You asked to reset the password of your XuqmGroup account.\nReset token: %s\n"+
		"Use it within %d minutes to set a new password (POST /api/auth/reset-password); it works once. "+
		"If you did not ask for it, ignore this mail: your password stays as it is.",
		token, int(ResetTTL.Minutes()), token, int(ResetTTL.Minutes()))
	return mail.Message{To: to, Subject: "XuqmGroup 重置密码 / Reset your password", Body: body + signature}
}

// takenMail answers a code request for an address that already has an account: the caller
// was told the same as for any address, and the owner learns what happened.
func takenMail(to, purpose string) mail.Message {
	why := codeReasons[purpose]
	body := fmt.Sprintf("%s\n但此邮箱已经属于一个 XuqmGroup 账号,因此没有发送验证码。您可以直接登录;忘记密码时请使用“忘记密码”。"+
		"如果这不是您本人的操作,请忽略此邮件。\n\n"+
		"%s\nThis address already belongs to a XuqmGroup account, so no code was sent. Sign in instead, "+
		"or use \"forgot password\" if you do not remember it. If you did not ask for this, ignore this mail.",
		why[0], why[1])
	return mail.Message{To: to, Subject: "XuqmGroup 此邮箱已注册 / This address already has an account", Body: body + signature}
}
