/* 居民身份证 numbers: GB 11643-1999 structure, date and MOD 11-2 check. */
#include "common/idcard.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

char kc_idcard_check_char(const char *first17)
{
	/* ISO 7064 MOD 11-2: weight of position i (from the left, 0-based)
	 * is 2^(17-i) mod 11; the check value c makes sum + c ≡ 1 (mod 11). */
	static const int weight[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char check[11] = "10X98765432";
	int sum = 0, i;

	if (!first17)
		return 0;
	for (i = 0; i < 17; i++) {
		if (!is_digit(first17[i]))
			return 0;
		sum += (first17[i] - '0') * weight[i];
	}
	return check[sum % 11];
}

static int digits(const char *s, int n)
{
	int v = 0;

	while (n--)
		v = v * 10 + (*s++ - '0');
	return v;
}

static bool real_date(int y, int m, int d)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (m < 1 || m > 12 || d < 1)
		return false;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

int kc_idcard_check(const char *number, int today)
{
	int i, y, m, d;
	char last, want;

	if (!number || strlen(number) != KC_IDCARD_LEN)
		return -EINVAL;
	for (i = 0; i < 17; i++)
		if (!is_digit(number[i]))
			return -EINVAL;
	last = number[17];
	if (last == 'x')
		last = 'X';
	if (!is_digit(last) && last != 'X')
		return -EINVAL;
	if (number[0] == '0')
		return -EDOM;
	y = digits(number + 6, 4);
	m = digits(number + 10, 2);
	d = digits(number + 12, 2);
	if (y < 1900 || !real_date(y, m, d) || y * 10000 + m * 100 + d > today)
		return -ERANGE;
	want = kc_idcard_check_char(number);
	return last == want ? 0 : -EBADMSG;
}

enum kc_msg_code kc_idcard_msg(int rc)
{
	switch (rc) {
	case -EDOM:
		return KCM_id_card_region;
	case -ERANGE:
		return KCM_id_card_birth_date;
	case -EBADMSG:
		return KCM_id_card_check_char;
	default:
		return KCM_id_card_form;
	}
}
