package main

// gradeResult is the grade delivery phase: grades delivered per second to
// a fake consumer that answers after a set latency.
type gradeResult struct {
	Delivered       int     `json:"delivered"`
	Errors          int     `json:"errors"`
	Seconds         float64 `json:"seconds"`
	PerSecond       float64 `json:"grades_per_second"`
	ConsumerLatency string  `json:"consumer_latency"`
	Workers         int     `json:"workers"`
	PerHost         int     `json:"per_host"`
}
