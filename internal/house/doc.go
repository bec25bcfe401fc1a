// Package house holds no code: its test keeps the shape of the house that the README's layout section
// describes (each package under 1,000 hand-written lines, the arrows between layers pointing down, no driver
// below the database room), so that a change that breaks it fails like any other.
package house
