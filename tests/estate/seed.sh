#!/usr/bin/env bash
echo "seed: nothing yet"
