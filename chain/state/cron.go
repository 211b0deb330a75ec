package state

// Cron runs the end-of-epoch work at env.Epoch, after the epoch's
// messages: the miners' deadlines (missed proofs, faults too old,
// pre-commits that expired), then the market (deals never activated,
// deals that ended).
func (s *State) Cron(env *Env) {
	s.minerCron(env)
	s.marketCron(env)
}
