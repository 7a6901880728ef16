package sla_test

// The SLA engine knows kinds only by their declarations; these tests
// measure incidents and requests, which declare themselves on import.
import _ "steward/internal/request"
