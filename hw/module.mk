# hw
