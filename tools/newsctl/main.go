// Command newsctl is the operator's command line for a running newsflow.
package main

func main() {}
