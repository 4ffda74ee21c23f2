package daemon

import (
	"github.com/relayd/relayd/daemon/admin"
	"github.com/relayd/relayd/daemon/config"
)

// censorRules is what cfg says to censor in what admin shows: the
// configured fields, the header and parameter names every route's auth
// reads credentials from (for every message: a route's names apply to
// all, which is simplest and safest), and every configured secret value.
func censorRules(cfg *config.Config) admin.CensorRules {
	r := admin.CensorRules{Fields: cfg.Server.CensorFields, Secrets: cfg.SecretValues()}
	for _, rt := range cfg.Routes {
		a := rt.Auth
		if a == nil {
			continue
		}
		if a.Token != nil {
			r.Names = append(r.Names, a.Token.Header, a.Token.Query)
		}
		if a.HMAC != nil {
			r.Names = append(r.Names, a.HMAC.Header)
		}
		if a.StandardWebhooks != nil {
			r.Names = append(r.Names, "webhook-signature")
		}
	}
	return r
}

// censor returns the rules of the running config; Reload swaps the config,
// so the next request censors by the new one.
func (d *Daemon) censor() admin.CensorRules {
	d.mu.Lock()
	defer d.mu.Unlock()
	return censorRules(d.cfg)
}

// adminAccess is who may use the admin socket (admin.group,
// admin.readonly_group); admin.* changes need a restart.
func adminAccess(cfg *config.Config) admin.Access {
	return admin.Access{Group: cfg.Admin.Group, ReadonlyGroup: cfg.Admin.ReadonlyGroup}
}
