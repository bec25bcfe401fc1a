package comments

import "time"

// StampStep is how finely a page's form timestamp is kept: every reader of a post within one step gets the same
// page, so it is rendered and compressed once a step at most.
const StampStep = time.Second

// FormStamp signs the start of the current step, never later than the page was loaded: a person who waits
// SPAM_MIN_SECONDS after the page loaded is never held by the rule "posted sooner than that" (the form looks at
// most StampStep older than it is). A program that posts at once is still held: the step is shorter than any
// sensible SPAM_MIN_SECONDS. (The end of a 5-second step was signed before, which held people who had waited the
// documented 3 s for up to 5 s more.)
func (h *Handlers) FormStamp(now time.Time) string {
	step := now.Truncate(StampStep)
	if st := h.stamp.Load(); st != nil && st.at.Equal(step) {
		return st.value
	}
	st := &signedStamp{at: step, value: h.cfg.Stamps.Stamp(step)}
	h.stamp.Store(st)
	return st.value
}

// signedStamp is the form timestamp of one step, signed once for every page of that step.
type signedStamp struct {
	at    time.Time
	value string
}
