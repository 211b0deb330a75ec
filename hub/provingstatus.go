package hub

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
)

// ProvingMetrics are the proving scheduler's Prometheus metrics, by miner
// (label "miner", f0N). A nil *ProvingMetrics records nothing.
type ProvingMetrics struct {
	deadlineIdx  *prometheus.GaugeVec
	nextOpen     *prometheus.GaugeVec
	faulty       *prometheus.GaugeVec
	recovering   *prometheus.GaugeVec
	lastPoSt     *prometheus.GaugeVec
	posts        *prometheus.CounterVec
	provenSecs   *prometheus.CounterVec
	skippedSecs  *prometheus.CounterVec
	generate     *prometheus.HistogramVec
	checkedSecs  *prometheus.CounterVec
	checkTime    *prometheus.HistogramVec
	checkFaults  *prometheus.CounterVec
	declarations *prometheus.CounterVec
}

// NewProvingMetrics registers the proving metrics with reg.
func NewProvingMetrics(reg prometheus.Registerer) (*ProvingMetrics, error) {
	miner := []string{"miner"}
	m := &ProvingMetrics{
		deadlineIdx: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "strata_hub_proving_deadline",
			Help: "Index of the miner's current proving deadline."}, miner),
		nextOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "strata_hub_proving_next_deadline_open_epoch",
			Help: "Epoch at which the miner's next deadline opens."}, miner),
		faulty: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "strata_hub_proving_faulty_sectors",
			Help: "The miner's faulty sectors on chain."}, miner),
		recovering: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "strata_hub_proving_recovering_sectors",
			Help: "The miner's sectors declared recovering on chain."}, miner),
		lastPoSt: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "strata_hub_proving_last_post_open_epoch",
			Help: "Opening epoch of the deadline of the miner's last WindowPoSt submission."}, miner),
		posts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_hub_window_posts_total",
			Help: "WindowPoSt submissions, by result: sent; error (not generated or not sent); missed (a deadline left with partitions unproven)."}, []string{"miner", "result"}),
		provenSecs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_hub_window_post_sectors_total",
			Help: "Sectors proven in WindowPoSt submissions."}, miner),
		skippedSecs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_hub_window_post_skipped_sectors_total",
			Help: "Sectors skipped (declared faulty) in WindowPoSt submissions."}, miner),
		generate: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "strata_hub_window_post_generate_seconds",
			Help: "Time to generate a WindowPoSt submission's proof.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}, miner),
		checkedSecs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_hub_sector_checks_total",
			Help: "Sectors whose files were checked before their deadline."}, miner),
		checkTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "strata_hub_sector_check_seconds",
			Help: "Time to check the files of one deadline's sectors.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}, miner),
		checkFaults: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_hub_sector_check_faults_total",
			Help: "Sectors the check found faulty."}, miner),
		declarations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strata_hub_declared_sectors_total",
			Help: "Sectors declared, by kind: faults or recoveries."}, []string{"miner", "kind"}),
	}
	for _, c := range []prometheus.Collector{m.deadlineIdx, m.nextOpen, m.faulty, m.recovering, m.lastPoSt, m.posts, m.provenSecs,
		m.skippedSecs, m.generate, m.checkedSecs, m.checkTime, m.checkFaults, m.declarations} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("proving metrics: %w", err)
		}
	}
	return m, nil
}

func minerLabel(miner uint64) string { return "f0" + strconv.FormatUint(miner, 10) }

func (m *ProvingMetrics) deadline(miner uint64, di types.DeadlineInfo, faulty, recovering uint64) {
	if m == nil {
		return
	}
	l := minerLabel(miner)
	m.deadlineIdx.WithLabelValues(l).Set(float64(di.Index))
	m.nextOpen.WithLabelValues(l).Set(float64(upcoming(di, 1).Open))
	m.faulty.WithLabelValues(l).Set(float64(faulty))
	m.recovering.WithLabelValues(l).Set(float64(recovering))
}

func (m *ProvingMetrics) postSent(miner uint64, di types.DeadlineInfo, proven, skipped int, took time.Duration) {
	if m == nil {
		return
	}
	l := minerLabel(miner)
	m.posts.WithLabelValues(l, "sent").Inc()
	m.provenSecs.WithLabelValues(l).Add(float64(proven))
	m.skippedSecs.WithLabelValues(l).Add(float64(skipped))
	m.generate.WithLabelValues(l).Observe(took.Seconds())
	m.lastPoSt.WithLabelValues(l).Set(float64(di.Open))
}

func (m *ProvingMetrics) postFailed(miner uint64) {
	if m == nil {
		return
	}
	m.posts.WithLabelValues(minerLabel(miner), "error").Inc()
}

func (m *ProvingMetrics) postMissed(miner uint64) {
	if m == nil {
		return
	}
	m.posts.WithLabelValues(minerLabel(miner), "missed").Inc()
}

func (m *ProvingMetrics) checked(miner uint64, sectors, faults int, took time.Duration) {
	if m == nil {
		return
	}
	l := minerLabel(miner)
	m.checkTime.WithLabelValues(l).Observe(took.Seconds())
	m.checkedSecs.WithLabelValues(l).Add(float64(sectors))
	m.checkFaults.WithLabelValues(l).Add(float64(faults))
}

func (m *ProvingMetrics) declared(miner uint64, kind string, sectors int) {
	if m == nil {
		return
	}
	m.declarations.WithLabelValues(minerLabel(miner), kind).Add(float64(sectors))
}

// ProvingStatus is a miner's proving as `strata hub proving` shows it.
type ProvingStatus struct {
	Miner uint64
	// Epoch is the chain head's height; Deadline the current deadline
	// and Next the one after it.
	Epoch    int64
	Deadline types.DeadlineInfo
	Next     types.DeadlineInfo
	// Sectors are the live sectors on chain; Faulty and Recovering those
	// faulty, and declared recovering.
	Sectors, Faulty, Recovering uint64
	// LastPoSt is the last WindowPoSt submission, LastCheck the last
	// check before a deadline, LastDeclarations the last fault and
	// recovery declarations.
	LastPoSt         *ProvingRecord   `json:",omitempty"`
	LastCheck        *ProvingRecord   `json:",omitempty"`
	LastDeclarations []*ProvingRecord `json:",omitempty"`
	// Err is the scheduler's last error for the miner, if its last round
	// failed.
	Err   string    `json:",omitempty"`
	ErrAt time.Time `json:",omitempty"`
}

// ProvingRecord is one thing the scheduler did for a deadline.
type ProvingRecord struct {
	Kind       string // post, check, faults, recoveries
	Deadline   uint64
	Open       int64
	Partitions string `json:",omitempty"`
	Sectors    int64
	Faults     []uint64 `json:",omitempty"`
	// Message is the message sent and State where it is: pending, landed
	// (at Height), failed (with ExitCode), dropped.
	Message  string `json:",omitempty"`
	State    string `json:",omitempty"`
	ExitCode int64  `json:",omitempty"`
	Height   int64  `json:",omitempty"`
	Took     time.Duration
	At       time.Time
}

// Status returns the proving status of the hub's miners, or of one when
// miner is not zero.
func (p *Proving) Status(ctx context.Context, miner uint64) ([]ProvingStatus, error) {
	miners, err := p.h.Miners(ctx)
	if err != nil {
		return nil, err
	}
	head, err := p.o.Chain.ChainHead(ctx)
	if err != nil {
		return nil, err
	}
	var out []ProvingStatus
	for _, m := range miners {
		if miner != 0 && m.Actor != miner {
			continue
		}
		s, err := p.status(ctx, m.Actor, head)
		if err != nil {
			return nil, fmt.Errorf("miner f0%d: %w", m.Actor, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func (p *Proving) status(ctx context.Context, miner uint64, head *types.TipSet) (ProvingStatus, error) {
	s := ProvingStatus{Miner: miner, Epoch: head.Height()}
	maddr, err := address.NewIDAddress(miner)
	if err != nil {
		return s, err
	}
	di, err := p.o.Chain.StateMinerProvingDeadline(ctx, maddr, head.Key())
	if err != nil {
		return s, err
	}
	s.Deadline, s.Next = *di, upcoming(*di, 1)
	dls, err := p.o.Chain.StateMinerDeadlines(ctx, maddr, head.Key())
	if err != nil {
		return s, err
	}
	for i := range dls {
		parts, err := p.o.Chain.StateMinerPartitions(ctx, maddr, uint64(i), head.Key())
		if err != nil {
			return s, err
		}
		for _, pt := range parts {
			s.Sectors += pt.LiveSectors.Count()
			s.Faulty += pt.FaultySectors.Count()
			s.Recovering += pt.RecoveringSectors.Count()
		}
	}
	rows, err := p.h.db.QueryContext(ctx, `SELECT kind, deadline, open_epoch, partitions, sectors, faults, msg, took_ms, created_at FROM hub_proving
		WHERE miner = $1 ORDER BY created_at DESC LIMIT 64`, int64(miner))
	if err != nil {
		return s, err
	}
	var recs []*ProvingRecord
	for rows.Next() {
		r := &ProvingRecord{}
		var dl, took, at int64
		var faults string
		if err := rows.Scan(&r.Kind, &dl, &r.Open, &r.Partitions, &r.Sectors, &faults, &r.Message, &took, &at); err != nil {
			rows.Close()
			return s, err
		}
		r.Deadline, r.Took, r.At = uint64(dl), time.Duration(took)*time.Millisecond, time.Unix(0, at)
		if r.Faults, err = parseNumbers(faults); err != nil {
			rows.Close()
			return s, err
		}
		recs = append(recs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, err
	}
	for _, r := range recs {
		if r.Message != "" {
			o, err := p.h.MessageOutcome(ctx, r.Message)
			if err != nil {
				return s, err
			}
			r.State, r.ExitCode, r.Height = o.State, o.ExitCode, o.Height
			if !o.Settled() {
				r.State = "pending"
			}
		}
		switch {
		case r.Kind == provePoSt && s.LastPoSt == nil:
			s.LastPoSt = r
		case r.Kind == proveCheck && s.LastCheck == nil:
			s.LastCheck = r
		case (r.Kind == proveFaults || r.Kind == proveRecoveries) && len(s.LastDeclarations) < 2:
			s.LastDeclarations = append(s.LastDeclarations, r)
		}
	}
	p.mu.Lock()
	if st := p.miners[miner]; st != nil && st.lastErr != "" {
		s.Err, s.ErrAt = st.lastErr, st.lastErrAt
	}
	p.mu.Unlock()
	return s, nil
}
